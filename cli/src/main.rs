//! `shmkern`: statistics and sums over raw and `.npy` files (in one process or several), cross-process
//! jobs, data generation, and a demo.
//!
//! Exit status: 0 on success, 2 for a usage error (clap's, or a raw file without `--dtype`), 1 for
//! any other failure. Every failure prints one line on stderr that names the file and the problem;
//! bad input never panics.

mod demo;
mod describe;
mod dispatch;
mod gen;
mod group;
mod input;
mod job;
mod output;
mod processes;
mod progress;
mod reduce;
mod run;
mod sigbus;

use clap::{Args, Parser, Subcommand, ValueEnum};
use shmkern::buffer::DType;
use std::path::PathBuf;
use std::process::ExitCode;

/// shmkern — deterministic parallel statistics and sums over files, at memory bandwidth.
#[derive(Parser)]
#[command(name = "shmkern", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Count, NaN count, sum, min, max, mean, variance and standard deviation of a file's values.
    Stats(StatsArgs),
    /// The sum of a file's values (floats: the fixed 16-lane tree; integers: exact).
    Sum(SumArgs),
    /// pandas' describe() of a file's non-NaN values — count, mean, std (ddof 1), min, quartiles,
    /// max — with the NaN count, skewness and excess kurtosis; four reads of the file.
    Describe(DescribeArgs),
    /// Quantiles of a file's non-NaN values, exact, as numpy's nanquantile (linear method).
    Quantile(QuantileArgs),
    /// A histogram of a file's values in uniform bins, as numpy's histogram (values outside the
    /// range and NaNs counted apart), with a bar chart.
    Hist(HistArgs),
    /// One kernel over a file (minmax, moments, norms) or two equally long files (dot,
    /// covariance).
    Reduce(ReduceArgs),
    /// Write COUNT random values to FILE (raw little-endian, or .npy when FILE ends in .npy).
    Gen(GenArgs),
    /// Fill an anonymous shared buffer and time `stats` on 1 thread and on all of them.
    Demo(DemoArgs),
    /// Cross-process jobs: several processes (started by you) compute one `stats` or `sum` of a
    /// shared file.
    #[command(subcommand)]
    Job(JobCommand),
}

#[derive(Subcommand)]
pub enum JobCommand {
    /// Create the job file JOB (mode 0600 unless --mode) for DATA; prints what it holds.
    Create(JobCreateArgs),
    /// Attach to JOB and compute chunks with this process's threads until every chunk is done,
    /// taking over the chunks of participants that died.
    Work(JobWorkArgs),
    /// Wait for JOB to complete and print its result, as `shmkern stats` / `sum` would.
    Wait(JobWaitArgs),
    /// Print how far JOB has got: chunks done and live participants.
    Status(JobStatusArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Count, NaN count, sum, min, max, mean, variance (as `shmkern stats`).
    Stats,
    /// The sum (floats: fast accuracy; integers: exact), as `shmkern sum`.
    Sum,
    /// The exact float sum, rounded once, as `shmkern sum --accuracy exact` (floats only).
    SumExact,
    /// Extremes with their first positions, as `shmkern reduce minmax` (NaNs skipped).
    Minmax,
    /// Mean to excess kurtosis, as `shmkern reduce moments`.
    Moments,
    /// L1, L2 and L-infinity norms, as `shmkern reduce norms`.
    Norms,
}

#[derive(Args)]
pub struct JobCreateArgs {
    /// The job file to create (it must not exist).
    job: PathBuf,
    /// The data: a raw little-endian file or a .npy file. It must not change while the job runs.
    data: PathBuf,
    /// Element type of a raw data file (.npy files carry their own).
    #[arg(long, value_name = "T")]
    dtype: Option<DType>,
    /// What the job computes.
    #[arg(long, value_enum, default_value_t = KindArg::Stats)]
    kind: KindArg,
    /// The job file's permissions, in octal. Every participant needs to read and write it, so
    /// widen it (e.g. 660) only to let other users you trust take part: any of them can spoil
    /// the job's result.
    #[arg(long, default_value = "600", value_name = "OCTAL", value_parser = processes::parse_mode)]
    mode: u32,
    /// Accept a --mode that lets every user of the machine write the job file (o+w): any of them
    /// could then spoil the job's result.
    #[arg(long)]
    world_writable: bool,
}

#[derive(Args)]
pub struct JobWorkArgs {
    /// The job file.
    job: PathBuf,
    /// Worker threads of this process, the calling thread included [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// No progress bar and no closing line.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
pub struct JobWaitArgs {
    /// The job file.
    job: PathBuf,
    /// Give up (exit 1) after this many seconds if the job is not complete.
    #[arg(long, default_value_t = 600.0, value_name = "SECS", value_parser = parse_seconds)]
    timeout: f64,
    /// Delta degrees of freedom of the variance (stats jobs).
    #[arg(long, default_value_t = 1, value_name = "D")]
    ddof: u64,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct JobStatusArgs {
    /// The job file.
    job: PathBuf,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=1e9).contains(&x) => Ok(x),
        _ => Err(format!("{s:?} is not a number of seconds from 0 to 1e9")),
    }
}

/// Options shared by the commands that read a file.
#[derive(Args)]
struct InputArgs {
    /// A raw little-endian file or a .npy file.
    file: PathBuf,
    /// Element type of a raw file: f32 f64 i8 i16 i32 i64 u8 u16 u32 u64 (.npy files carry
    /// their own; if given, it must match).
    #[arg(long, value_name = "T")]
    dtype: Option<DType>,
    /// Worker threads, the calling thread included [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Compute in N processes that share the file's pages (N − 1 helpers of this command are
    /// started; --threads then counts per process, default: the cores divided among them). The
    /// result is bit-identical to one process's.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    processes: Option<u32>,
}

#[derive(Args)]
struct StatsArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Delta degrees of freedom of the variance: it divides by count − ddof.
    #[arg(long, default_value_t = 1, value_name = "D")]
    ddof: u64,
}

#[derive(Args)]
struct DescribeArgs {
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Args)]
struct QuantileArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Quantiles, each from 0 to 1 (0.5 is the median).
    #[arg(required = true, value_name = "Q", value_parser = parse_quantile)]
    quantiles: Vec<QuantileArg>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReduceKernel {
    /// Smallest and largest non-NaN value with their first positions (argmin, argmax).
    Minmax,
    /// Mean, variance (--ddof), skewness, excess kurtosis of the non-NaN values.
    Moments,
    /// L1, L2 and L-infinity norms.
    Norms,
    /// The dot product of FILE and FILE2 (floats; --compensated for twice the precision, --exact
    /// for the exact value rounded once).
    Dot,
    /// Means, covariance (--ddof) and Pearson correlation of FILE and FILE2.
    Covariance,
    /// Count, NaN count, sum, min, max, mean, variance (--ddof) of FILE2's values per key of
    /// FILE, an integer column of keys 0..G (--groups G; default: the largest key + 1).
    GroupStats,
}

impl ReduceKernel {
    fn name(self) -> &'static str {
        match self {
            ReduceKernel::Minmax => "minmax",
            ReduceKernel::Moments => "moments",
            ReduceKernel::Norms => "norms",
            ReduceKernel::Dot => "dot",
            ReduceKernel::Covariance => "covariance",
            ReduceKernel::GroupStats => "group-stats",
        }
    }
}

#[derive(Args)]
struct ReduceArgs {
    /// The kernel.
    #[arg(value_enum)]
    kernel: ReduceKernel,
    #[command(flatten)]
    input: InputArgs,
    /// The second column, for dot and covariance (the same element type and length as FILE),
    /// and group-stats' values (as long as FILE, the keys).
    #[arg(value_name = "FILE2")]
    other: Option<PathBuf>,
    /// Element type of a raw FILE2 [default: FILE's].
    #[arg(long, value_name = "T")]
    dtype2: Option<DType>,
    /// group-stats: the number of groups G (every key in 0..G) [default: the largest key + 1,
    /// one more read of the keys].
    #[arg(long, value_name = "G")]
    groups: Option<usize>,
    /// Delta degrees of freedom of moments' variance and of the covariance.
    #[arg(long, default_value_t = 1, value_name = "D")]
    ddof: u64,
    /// dot: Neumaier pairs with each product's exact error, instead of one add a product.
    #[arg(long, conflicts_with = "exact")]
    compensated: bool,
    /// dot: the exact dot product, rounded once (each product split exactly, summed exactly).
    #[arg(long)]
    exact: bool,
    /// minmax: how NaNs count.
    #[arg(long, value_enum, default_value_t = NanArg::Skip)]
    nan: NanArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum NanArg {
    /// Skipped (numpy's nanargmin / nanargmax).
    Skip,
    /// The first NaN is the minimum and the maximum (numpy's argmin / argmax).
    Propagate,
    /// NaN orders above every number: the maximum is the first NaN.
    Greatest,
}

#[derive(Args)]
struct HistArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Number of bins.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    bins: u32,
    /// The range the bins cover [default: the smallest and largest value].
    #[arg(long, num_args = 2, value_names = ["LO", "HI"], allow_negative_numbers = true)]
    range: Option<Vec<f64>>,
}

/// A quantile as given on the command line (the output's key) and its value.
#[derive(Clone, Debug)]
struct QuantileArg {
    text: String,
    q: f64,
}

fn parse_quantile(s: &str) -> Result<QuantileArg, String> {
    match s.parse::<f64>() {
        Ok(q) if (0.0..=1.0).contains(&q) => Ok(QuantileArg {
            text: s.to_owned(),
            q,
        }),
        _ => Err(format!("{s:?} is not a quantile from 0 to 1")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AccuracyArg {
    /// One add per element in the fixed tree (error ≤ γ_D·Σ|x|).
    Fast,
    /// Neumaier pairs in the same tree.
    Compensated,
    /// The correctly rounded exact sum.
    Exact,
}

#[derive(Args)]
struct SumArgs {
    #[command(flatten)]
    input: InputArgs,
    /// How float sums are accumulated (integer sums are always exact).
    #[arg(long, value_enum, default_value_t = AccuracyArg::Fast)]
    accuracy: AccuracyArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Dist {
    /// Floats in [0, 1); integers over the type's whole range.
    Uniform,
    /// Standard normal (floats only).
    Normal,
    /// Whole numbers in [−1000, 1000] (clipped to the type's range).
    Ints,
}

#[derive(Args)]
struct GenArgs {
    /// The file to create (.npy when the name ends in .npy, raw otherwise).
    file: PathBuf,
    /// Element type.
    #[arg(long, value_name = "T")]
    dtype: DType,
    /// Number of values.
    #[arg(long, value_name = "N")]
    count: u64,
    /// Seed: the same seed gives the same file, for any thread count.
    #[arg(long, default_value_t = 0, value_name = "S")]
    seed: u64,
    /// Distribution of the values.
    #[arg(long, value_enum, default_value_t = Dist::Uniform)]
    dist: Dist,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
    /// Worker threads [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct DemoArgs {
    /// Bytes of f64 data (suffixes K, M, G: powers of 1024) [default: 1G, less when memory is
    /// short].
    #[arg(long, value_name = "BYTES", value_parser = demo::parse_size)]
    size: Option<u64>,
}

/// Why the command failed: a usage error (exit 2) or anything else (exit 1). The message is one
/// line naming the file and the problem.
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Other(String),
}

impl From<shmkern::Error> for Failure {
    fn from(e: shmkern::Error) -> Self {
        Failure::Other(e.to_string())
    }
}

fn main() -> ExitCode {
    // A panic is a bug in shmkern, never the input's fault: say so in one line, exit 1.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("shmkern: internal error (please report): {info}");
    }));
    sigbus::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Stats(a) => run::stats(a),
        Command::Sum(a) => run::sum(a),
        Command::Describe(a) => describe::describe(a),
        Command::Quantile(a) => describe::quantile(a),
        Command::Hist(a) => describe::hist(a),
        Command::Reduce(a) => reduce::reduce(a),
        Command::Gen(a) => gen::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Job(c) => job::run(c),
    });
    report_memory();
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(Failure::Usage(m))) => {
            eprintln!("shmkern: error: {m}");
            ExitCode::from(2)
        }
        Ok(Err(Failure::Other(m))) => {
            eprintln!("shmkern: error: {m}");
            ExitCode::from(1)
        }
        Err(_) => ExitCode::from(1),
    }
}

/// Reports a command-line error as the command's other errors are: one line naming the problem,
/// then one line saying where the usage is; exit status 2. Help and version requests print as clap
/// prints them.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    // clap's message: "error: …" (a line ending in ':' continues with a list), a blank line,
    // "Usage: …", and a line pointing to --help.
    let text = e.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let usage_at = lines.iter().position(|l| l.starts_with("Usage: "));
    let problem = lines[..usage_at.unwrap_or(lines.len().min(1))]
        .join(" ")
        .trim_start_matches("error: ")
        .to_owned();
    eprintln!("shmkern: error: {problem}");
    match usage_at.map(|i| &lines[i]["Usage: ".len()..]) {
        Some(usage) => {
            let command = usage
                .split([' '].as_ref())
                .take_while(|w| !w.starts_with(['[', '<']));
            let command: Vec<&str> = command.collect();
            eprintln!(
                "shmkern: usage: {usage} (more: {} --help)",
                command.join(" ")
            );
        }
        None => eprintln!("shmkern: usage: see {} --help", invoked_command()),
    }
    ExitCode::from(2)
}

/// `shmkern` and the subcommands named on the command line (`shmkern job create`), for a hint.
fn invoked_command() -> String {
    let known = [
        "stats", "sum", "gen", "demo", "job", "create", "work", "wait", "status",
    ];
    let mut words = vec!["shmkern".to_owned()];
    for arg in std::env::args().skip(1) {
        let subcommand = known.contains(&arg.as_str())
            && (words.len() == 1 || (words.len() == 2 && words[1] == "job"));
        if !subcommand {
            break;
        }
        words.push(arg);
    }
    words.join(" ")
}

/// With `SHMKERN_REPORT_MEMORY=1`, prints the process's resident memory by kind on stderr (Linux):
/// `RssAnon` is the memory beyond mapped file pages, which `cli/benches/file_table.rs` checks.
fn report_memory() {
    if std::env::var_os("SHMKERN_REPORT_MEMORY").is_none() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let fields: Vec<String> = ["VmHWM", "RssAnon", "RssFile", "RssShmem"]
        .iter()
        .filter_map(|k| {
            let line = status.lines().find(|l| l.starts_with(&format!("{k}:")))?;
            let kib = line.split_whitespace().nth(1)?;
            Some(format!("{k}={kib}"))
        })
        .collect();
    eprintln!("shmkern: memory (KiB): {}", fields.join(" "));
}
