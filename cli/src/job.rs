//! `shmkern job create|work|wait|status`: cross-process jobs for users who start the participants
//! themselves — for example several services over one shared file. `--processes N` does the same
//! with helpers it starts itself (`processes.rs`).

use crate::dispatch::dispatch;
use crate::input::inspect;
use crate::output::{print, rows};
use crate::processes;
use crate::run::{dispatch_int_job, emit, pool, stats_fields, sum_fields, Run};
use crate::{Failure, JobCommand, KindArg};
use serde_json::json;
use shmkern::buffer::DType;
use shmkern::job::{Job, JobKind};
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(cmd: JobCommand) -> Result<(), Failure> {
    match cmd {
        JobCommand::Create(a) => {
            let kind = match a.kind {
                KindArg::Stats => JobKind::Stats,
                KindArg::Sum => JobKind::Sum,
            };
            if a.mode & 0o002 != 0 && !a.world_writable {
                return Err(Failure::Usage(format!(
                    "--mode {:o} lets every user of the machine write the job file, and any of \
                     them could spoil the job's result; add --world-writable if that is intended",
                    a.mode
                )));
            }
            // A raw file without --dtype is a usage error, said the same way as by `stats`.
            let src = inspect(&a.data, a.dtype)?;
            // SAFETY: the command's documented contract: the data file is not modified while the
            // job runs.
            let job = unsafe { Job::create(&a.job, &src.path, Some(src.dtype), kind) }?;
            if a.mode != 0o600 {
                processes::set_mode(&a.job, a.mode)?;
            }
            let s = job.status();
            print(&format!(
                "{}: {kind:?} job over {} ({}, {} values) in {} chunks\n",
                a.job.display(),
                job.data_path().display(),
                job.dtype(),
                job.count(),
                s.chunks
            ))
        }
        JobCommand::Work(a) => {
            let job = attach(&a.job)?;
            let pool = pool(a.threads)?;
            processes::work(&job, &pool, a.quiet)?;
            if !a.quiet {
                let s = job.status();
                print(&format!(
                    "{}: complete ({} of {} chunks)\n",
                    a.job.display(),
                    s.done,
                    s.chunks
                ))?;
            }
            Ok(())
        }
        JobCommand::Wait(a) => {
            let job = attach(&a.job)?;
            let start = Instant::now();
            let timeout = Duration::from_secs_f64(a.timeout);
            let src = inspect(&job.data_path(), Some(job.dtype()))?;
            let report = |run: &Run| -> Result<(), Failure> {
                match job.kind() {
                    Some(JobKind::Stats) => dispatch!(job.dtype(), T => {
                        let s = job.wait_stats::<T>(timeout)?;
                        let run = Run { seconds: start.elapsed().as_secs_f64(), ..*run };
                        emit(&src, s.count() + s.nan_count(), stats_fields(&s, a.ddof), &run, a.json)
                    }),
                    Some(JobKind::Sum) => {
                        let count = job.count();
                        let float = |s: f64| {
                            let run = Run {
                                seconds: start.elapsed().as_secs_f64(),
                                ..*run
                            };
                            emit(&src, count, sum_fields(count, s, "fast"), &run, a.json)
                        };
                        match job.dtype() {
                            DType::F32 => float(job.wait_sum_float::<f32>(timeout)?),
                            DType::F64 => float(job.wait_sum_float::<f64>(timeout)?),
                            _ => dispatch_int_job(&src, &job, run, a.json),
                        }
                    }
                    _ => Err(Failure::Other(format!(
                        "{}: a job of the kernel {:?}, which this shmkern cannot run or print",
                        a.job.display(),
                        job.kernel_name()
                    ))),
                }
            };
            report(&Run {
                threads: None,
                processes: 1,
                seconds: 0.0,
                bytes: job.count() * job.dtype().size() as u64,
            })
        }
        JobCommand::Status(a) => {
            let job = attach(&a.job)?;
            let s = job.status();
            if a.json {
                let v = json!({
                    "job": a.job.display().to_string(),
                    "kind": job.kernel_name(),
                    "data": job.data_path().display().to_string(),
                    "dtype": job.dtype().name(),
                    "count": job.count(),
                    "chunks": s.chunks,
                    "done": s.done,
                    "live_participants": s.live_participants,
                });
                return print(&format!("{v}\n"));
            }
            print(&rows(&[
                ("job", a.job.display().to_string()),
                ("kind", job.kernel_name().to_owned()),
                (
                    "data",
                    format!(
                        "{} ({}, {} values)",
                        job.data_path().display(),
                        job.dtype(),
                        job.count()
                    ),
                ),
                (
                    "chunks",
                    format!(
                        "{} of {} done{}",
                        s.done,
                        s.chunks,
                        if s.done == s.chunks {
                            " (complete)"
                        } else {
                            ""
                        }
                    ),
                ),
                ("participants", format!("{} live", s.live_participants)),
            ]))
        }
    }
}

fn attach(path: &Path) -> Result<Job, Failure> {
    // SAFETY: the command's documented contract: the job's data file is not modified while the job
    // runs.
    let job = unsafe { Job::attach(path) }?;
    crate::sigbus::fallback(&format!(
        "{} (or its data file {})",
        path.display(),
        job.data_path().display()
    ));
    crate::input::delay_after_map();
    Ok(job)
}
