//! `shmkern reduce group-stats KEYS VALUES`: the statistics of VALUES per key of KEYS, an integer
//! column of dense keys `0..G` (pandas' `groupby(keys).agg(...)` over one value column, with the
//! same bits for any thread count); text (one row a group) or JSON (`groups`: one object a group).

use crate::dispatch::dispatch;
use crate::input::Source;
use crate::output::{print, size};
use crate::progress::Progress;
use crate::run::{stats_fields, Fields, Run};
use crate::{Failure, ReduceArgs};
use serde_json::{Map, Value};
use shmkern::buffer::{DType, Element, Hint};
use shmkern::kernels::{GroupKey, MinMax, StatElement, MAX_GROUPS};
use shmkern::{ParOptions, Pool};
use std::time::Instant;

/// Runs `group-stats` over the key column `keys` and the value column `values`.
pub fn group_stats(
    keys: &Source,
    values: &Source,
    pool: &Pool,
    args: &ReduceArgs,
) -> Result<(), Failure> {
    macro_rules! by_key {
        ($($d:ident => $k:ty),*) => {
            match keys.dtype {
                $(DType::$d => dispatch!(values.dtype, T => of::<$k, T>(keys, values, pool, args)),)*
                t => Err(Failure::Other(format!(
                    "{}: group-stats reads integer keys (i8 to u64), not {t}",
                    keys.path.display()
                ))),
            }
        };
    }
    by_key!(I8 => i8, I16 => i16, I32 => i32, I64 => i64, U8 => u8, U16 => u16, U32 => u32, U64 => u64)
}

fn of<K, T>(ks: &Source, vs: &Source, pool: &Pool, args: &ReduceArgs) -> Result<(), Failure>
where
    K: GroupKey + Element + StatElement,
    T: StatElement + Element + crate::output::Scalar,
    T::Sum: crate::output::Scalar,
{
    let start = Instant::now();
    let (keys, values) = (ks.map::<K>()?, vs.map::<T>()?);
    if keys.len() != values.len() {
        return Err(Failure::Other(format!(
            "{} holds {} keys and {} holds {} values: group-stats reads two equally long files",
            ks.path.display(),
            keys.len(),
            vs.path.display(),
            values.len()
        )));
    }
    let _ = (
        keys.advise(Hint::Sequential),
        values.advise(Hint::Sequential),
    );
    let groups = match args.groups {
        Some(g) => g,
        // The largest key + 1: one more read of the keys.
        None => match pool.run(&MinMax::<K>::new(), &keys[..])?.max() {
            // A negative largest key: no group (`group_stats` then names the first key).
            Some((k, _)) if k.value() < 0.0 => 0,
            Some((k, row)) if k.value() >= MAX_GROUPS as f64 => {
                return Err(Failure::Other(format!(
                    "{}: key {} at row {row} makes more than {MAX_GROUPS} groups",
                    ks.path.display(),
                    k.value()
                )))
            }
            Some((k, _)) => k.value() as usize + 1,
            None => 0,
        },
    };
    let progress = Progress::start("group-stats", keys.len() as u64, args.input.quiet);
    let opts = ParOptions {
        progress: Some(progress.counter()),
        ..ParOptions::default()
    };
    let stats = pool.group_stats_with(&keys[..], &values[..], groups, opts)?;
    progress.finish();
    let run = Run {
        threads: Some(pool.threads()),
        processes: 1,
        seconds: start.elapsed().as_secs_f64(),
        bytes: (keys.as_bytes().len() + values.as_bytes().len()) as u64,
    };
    let rows: Vec<Fields> = stats.iter().map(|s| stats_fields(s, args.ddof)).collect();
    emit(ks, vs, keys.len() as u64, &rows, &run, args.input.json)
}

/// One JSON object (`groups`: an array of each group's `stats` fields, with its `key`), or a text
/// table with a row a group.
fn emit(
    ks: &Source,
    vs: &Source,
    rows_read: u64,
    groups: &[Fields],
    run: &Run,
    json: bool,
) -> Result<(), Failure> {
    if json {
        let groups: Vec<Value> = groups
            .iter()
            .enumerate()
            .map(|(key, fields)| {
                let mut m = Map::new();
                m.insert("key".into(), key.into());
                for (k, v, _) in fields {
                    m.insert((*k).into(), v.clone());
                }
                Value::Object(m)
            })
            .collect();
        let mut m = Map::new();
        m.insert("key_dtype".into(), ks.dtype.name().into());
        m.insert("dtype".into(), vs.dtype.name().into());
        m.insert("rows".into(), rows_read.into());
        m.insert("groups".into(), Value::Array(groups));
        m.insert("threads".into(), run.threads.unwrap_or(1).into());
        m.insert("seconds".into(), run.seconds.into());
        m.insert("bytes".into(), run.bytes.into());
        return print(&format!("{}\n", Value::Object(m)));
    }
    let mut table = vec![];
    let head: Vec<String> = std::iter::once("key".to_owned())
        .chain(groups.first().into_iter().flatten().map(|f| f.0.to_owned()))
        .collect();
    table.push(head);
    for (key, fields) in groups.iter().enumerate() {
        let cells = fields.iter().map(|f| match f.0 {
            // "x (ddof d)": the ddof has its own column.
            "variance" | "std_dev" => f.2.split(" (").next().unwrap_or("").to_owned(),
            _ => f.2.clone(),
        });
        table.push(std::iter::once(key.to_string()).chain(cells).collect());
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!(
        "keys:   {} ({}), values: {} ({}), {rows_read} rows, {}\ntime:   {:.3} s on {} threads\n",
        ks.path.display(),
        ks.dtype,
        vs.path.display(),
        vs.dtype,
        size(run.bytes),
        run.seconds,
        run.threads.unwrap_or(1),
    );
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c:>w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    print(&out)
}
