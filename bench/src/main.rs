//! The side-by-side benchmark: builds every peer, runs each against its own mock
//! Runtime API, and prints one Markdown table with the ratios that matter.
//!
//! ```sh
//! cargo run -p bench --release            # everything, lambda_runtime included
//! cargo run -p bench --release -- --smoke # a few hundred invocations per peer
//! cargo run -p bench --release -- --sdk   # the AWS SDK peers against moto (sdk.rs)
//! cargo run -p bench --release -- --streaming # 10 MiB streams, ours and lambda_runtime
//! ```
//!
//! `--smoke` leaves out lambda_runtime (68 crates to compile) unless
//! `BENCH_LAMBDA_RUNTIME=1` asks for it. `--only TEXT` measures only the peers whose
//! label contains `TEXT`; `BENCH_WRAPPER="/usr/bin/strace -c -o FILE"` starts each
//! function under a profiler.

mod build;
mod check;
mod concurrency;
mod events;
mod measure;
mod mock;
mod report;
mod sdk;
mod streaming;

use build::{Build, GNU, MUSL, Paths};
use std::path::PathBuf;
use std::process::ExitCode;

/// Ours with the `http` feature: the `#[lambda(http)]` echo, and the streaming handler
/// (its HTTP head).
const OURS_HTTP: Build<'static> = Build {
    peer: "ours",
    target: MUSL,
    profile: "release",
    extra: &["--features", "http"],
    dir: "ours-http",
};

/// The last commit before response streaming (see `build_peers`).
const BEFORE_STREAMING: &str = "27ac555";

/// How much to run.
struct Sizes {
    cold_runs: usize,
    warm_events: usize,
    rounds: usize,
    large_events: usize,
    /// Events per poller for the concurrency runs of a handler that sleeps 10 ms.
    sleep_events_per_poller: usize,
    /// Streams of 10 MiB per runtime.
    streams: usize,
}

const FULL: Sizes = Sizes {
    cold_runs: 20,
    warm_events: 10_000,
    rounds: 3,
    large_events: 100,
    sleep_events_per_poller: 100,
    streams: 20,
};
const SMOKE: Sizes = Sizes {
    cold_runs: 3,
    warm_events: 300,
    rounds: 1,
    large_events: 5,
    sleep_events_per_poller: 10,
    streams: 2,
};

/// One line of the table: a peer's binaries for each event shape.
pub struct Peer {
    pub label: String,
    pub small: PathBuf,
    pub string: PathBuf,
    pub items: PathBuf,
    pub size: u64,
}

/// Everything measured for one peer.
#[derive(Default)]
pub struct Measured {
    pub cold: Option<measure::Cold>,
    pub warm: Vec<measure::Phase>,
    pub string: Option<measure::Phase>,
    pub items: Option<measure::Phase>,
}

fn main() -> ExitCode {
    if std::env::args().any(|arg| arg == "--sdk") {
        return match run_sdk() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bench: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    if std::env::args().any(|arg| arg == "--streaming") {
        let paths = Paths::new();
        return match measure_streaming(&paths, &FULL, true) {
            Ok(table) => {
                println!("{table}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("bench: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let with_lambda_runtime =
        !smoke || std::env::var("BENCH_LAMBDA_RUNTIME").is_ok_and(|v| v == "1");
    match run(if smoke { &SMOKE } else { &FULL }, with_lambda_runtime) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The AWS SDK comparison alone: it needs moto, and builds some 200 crates per peer.
fn run_sdk() -> Result<(), String> {
    let paths = Paths::new();
    std::fs::create_dir_all(&paths.out).map_err(|error| error.to_string())?;
    let events: Vec<Vec<u8>> = (0..FULL.warm_events).map(events::small).collect();
    let table = sdk::run(&paths, &events)?;
    println!("{table}");
    std::fs::write(paths.out.join("sdk-report.md"), &table).map_err(|error| error.to_string())?;
    eprintln!(
        "bench: every answer matched its event; the table is also in target/bench/sdk-report.md"
    );
    Ok(())
}

fn run(sizes: &Sizes, with_lambda_runtime: bool) -> Result<(), String> {
    let paths = Paths::new();
    std::fs::create_dir_all(&paths.out).map_err(|error| error.to_string())?;
    eprintln!("bench: building the peers");
    let (mut peers, notes) = build_peers(&paths, with_lambda_runtime)?;
    let args: Vec<String> = std::env::args().collect();
    if let Some(only) = args
        .iter()
        .position(|arg| arg == "--only")
        .and_then(|i| args.get(i + 1))
    {
        peers.retain(|peer| peer.label.contains(only.as_str()));
    }

    eprintln!("bench: rendering events");
    let warm_events: Vec<Vec<u8>> = (0..sizes.warm_events).map(events::small).collect();
    let string_events: Vec<Vec<u8>> = (0..sizes.large_events).map(events::large_string).collect();
    let items_events: Vec<Vec<u8>> = (0..sizes.large_events).map(events::large_items).collect();

    let mut measured: Vec<Measured> = peers.iter().map(|_| Measured::default()).collect();
    for (peer, result) in peers.iter().zip(&mut measured) {
        eprintln!("bench: cold starts and large events: {}", peer.label);
        result.cold = Some(measure::cold(
            &peer.small,
            sizes.cold_runs,
            &warm_events[0],
        )?);
        result.string = Some(measure::phase(&peer.string, &string_events)?);
        result.items = Some(measure::phase(&peer.items, &items_events)?);
    }
    // Warm rounds interleaved across peers, so that a noisy moment hits all of them.
    for round in 1..=sizes.rounds {
        for (peer, result) in peers.iter().zip(&mut measured) {
            eprintln!("bench: warm round {round}/{}: {}", sizes.rounds, peer.label);
            result.warm.push(measure::phase(&peer.small, &warm_events)?);
        }
    }

    let concurrency = measure_concurrency(&paths, &warm_events, sizes, with_lambda_runtime)?;
    let streams = measure_streaming(&paths, sizes, with_lambda_runtime)?;

    eprintln!("bench: allocations per invocation");
    let mut notes = notes;
    for (libc, target) in [("musl", MUSL), ("gnu", GNU)] {
        let counting = Build {
            peer: "ours",
            target,
            profile: "release",
            extra: &[],
            dir: "ours",
        }
        .run(&paths, "count_allocations")?;
        let count = measure::allocations(&counting, &warm_events[..warm_events.len().min(2000)])?;
        notes.push(format!(
            "ours ({libc}) allocates {count} times per invocation, the handler's own aside (count_allocations)"
        ));
    }

    let build_times = if with_lambda_runtime {
        eprintln!("bench: clean builds (ours, then lambda_runtime)");
        Some((
            build::clean_build("ours", "echo_value", &paths)?,
            build::clean_build("lambda-runtime", "echo_value", &paths)?,
        ))
    } else {
        None
    };
    let mut table = report::render(
        &peers,
        &measured,
        &notes,
        build_times,
        sizes.warm_events,
        sizes.large_events,
    );
    table.push_str(&concurrency);
    table.push_str(&streams);
    println!("{table}");
    std::fs::write(paths.out.join("report.md"), &table).map_err(|error| error.to_string())?;
    eprintln!("bench: every answer matched its event; the table is also in target/bench/report.md");
    Ok(())
}

/// The concurrency runs (see [`concurrency`]): ours, and lambda_runtime's
/// `run_concurrent` when it is in this run; the rendered table.
fn measure_concurrency(
    paths: &Paths,
    events: &[Vec<u8>],
    sizes: &Sizes,
    with_lambda_runtime: bool,
) -> Result<String, String> {
    const OURS: &str = "ours (musl)";
    const THEIRS: &str = "lambda_runtime run_concurrent (musl, tuned)";
    let build = |peer, profile, dir| Build {
        peer,
        target: MUSL,
        profile,
        extra: &[],
        dir,
    };
    let ours = build("ours", "release", "ours");
    let (ours_sleep, ours_echo) = (
        ours.run(paths, "sleep_echo")?,
        ours.run(paths, "echo_value")?,
    );
    let mut runtimes = vec![concurrency::Binaries {
        label: OURS,
        sleep: &ours_sleep,
        echo: &ours_echo,
    }];
    let theirs = build("lambda-runtime", "tuned", "lambda-runtime");
    let their_binaries = if with_lambda_runtime {
        Some((
            theirs.run(paths, "sleep_echo_concurrent")?,
            theirs.run(paths, "echo_value_concurrent")?,
        ))
    } else {
        None
    };
    if let Some((sleep, echo)) = &their_binaries {
        runtimes.push(concurrency::Binaries {
            label: THEIRS,
            sleep,
            echo,
        });
    }
    let rows = concurrency::measure(&runtimes, events, sizes.sleep_events_per_poller)?;
    Ok(concurrency::render(&rows, OURS, THEIRS))
}

/// The streaming comparison (see [`streaming`]): ours, and lambda_runtime's when it is
/// in this run; the rendered table.
fn measure_streaming(
    paths: &Paths,
    sizes: &Sizes,
    with_lambda_runtime: bool,
) -> Result<String, String> {
    let ours = OURS_HTTP.run(paths, "stream_10mib")?;
    eprintln!("bench: streaming 10 MiB: ours");
    let mut rows = vec![streaming::measure("ours (musl)", &ours, sizes.streams)?];
    if with_lambda_runtime {
        let theirs = Build {
            peer: "lambda-runtime",
            target: MUSL,
            profile: "tuned",
            extra: &[],
            dir: "lambda-runtime",
        }
        .run(paths, "stream_10mib")?;
        eprintln!("bench: streaming 10 MiB: lambda_runtime");
        rows.push(streaming::measure(
            "lambda_runtime streaming::channel (musl, tuned)",
            &theirs,
            sizes.streams,
        )?);
    }
    Ok(streaming::render(&rows))
}

/// Builds every peer; also returns notes on builds that are measured for size only.
fn build_peers(
    paths: &Paths,
    with_lambda_runtime: bool,
) -> Result<(Vec<Peer>, Vec<String>), String> {
    let same = |label: &str, binary: PathBuf| -> Result<Peer, String> {
        Ok(Peer {
            label: label.to_owned(),
            size: build::stripped_size(&binary, paths)?,
            small: binary.clone(),
            string: binary.clone(),
            items: binary,
        })
    };
    let typed = |label: &str, build: &Build, paths: &Paths| -> Result<Peer, String> {
        let small = build.run(paths, "echo_proxy")?;
        Ok(Peer {
            label: label.to_owned(),
            size: build::stripped_size(&small, paths)?,
            string: small.clone(),
            small,
            items: build.run(paths, "echo_items")?,
        })
    };
    let tuned = |peer, target, dir| Build {
        peer,
        target,
        profile: "release",
        extra: &[],
        dir,
    };
    let mut peers = vec![
        same(
            "raw floor (musl)",
            tuned("raw-floor", MUSL, "raw-floor").run(paths, "raw-floor")?,
        )?,
        same(
            "JSON floor (musl)",
            tuned("json-floor", MUSL, "json-floor").run(paths, "json-floor")?,
        )?,
        same(
            "ureq floor (musl)",
            tuned("ureq-floor", MUSL, "ureq-floor").run(paths, "ureq-floor")?,
        )?,
        same(
            "ureq-proto floor (musl)",
            tuned("ureq-proto-floor", MUSL, "ureq-proto-floor").run(paths, "ureq-proto-floor")?,
        )?,
        same(
            "ours, Value (musl)",
            tuned("ours", MUSL, "ours").run(paths, "echo_value")?,
        )?,
        typed("ours, typed (musl)", &tuned("ours", MUSL, "ours"), paths)?,
        // glibc, what cargo-lambda builds by default (through Zig), and so what most
        // functions run on.
        same(
            "raw floor (gnu)",
            tuned("raw-floor", GNU, "raw-floor").run(paths, "raw-floor")?,
        )?,
        same(
            "JSON floor (gnu)",
            tuned("json-floor", GNU, "json-floor").run(paths, "json-floor")?,
        )?,
        same(
            "ureq-proto floor (gnu)",
            tuned("ureq-proto-floor", GNU, "ureq-proto-floor").run(paths, "ureq-proto-floor")?,
        )?,
        same(
            "ours, Value (gnu)",
            tuned("ours", GNU, "ours").run(paths, "echo_value")?,
        )?,
    ];
    // The same echo as an `async fn`: what the `tokio` feature costs a function that
    // awaits nothing (the AWS SDK comparison, `--sdk`, is the one that awaits).
    let with_tokio = Build {
        peer: "ours",
        target: MUSL,
        profile: "release",
        extra: &["--features", "tokio"],
        dir: "ours-tokio",
    };
    peers.push(same(
        "ours, Value, async fn (musl)",
        with_tokio.run(paths, "echo_value_async")?,
    )?);
    // The same echo with mimalloc as its global allocator: whether another allocator is
    // worth recommending for musl builds, whose malloc is slow.
    let with_mimalloc = Build {
        peer: "ours",
        target: MUSL,
        profile: "release",
        extra: &["--features", "mimalloc"],
        dir: "ours-mimalloc",
    };
    peers.push(same(
        "ours, Value, mimalloc (musl)",
        with_mimalloc.run(paths, "echo_value_mimalloc")?,
    )?);
    let without_emulator = Build {
        peer: "ours",
        target: MUSL,
        profile: "release",
        extra: &["--no-default-features"],
        dir: "ours-no-emulator",
    };
    // Measured as a peer too: the binary's code pages are most of a musl echo's RSS.
    let no_emulator = same(
        "ours, Value, no emulator (musl)",
        without_emulator.run(paths, "echo_value")?,
    )?;
    let size = no_emulator.size;
    peers.push(no_emulator);
    let http_size = build::stripped_size(&OURS_HTTP.run(paths, "echo_http")?, paths)?;
    // The same echo from the last commit before response streaming: what streaming costs
    // a buffered handler, in the same run (full runs only: another lambda-core to build).
    if with_lambda_runtime {
        let before = build::peers_at(BEFORE_STREAMING, paths)?;
        peers.push(same(
            "ours before streaming, Value (musl)",
            tuned("ours", MUSL, "ours-before-streaming").run(&before, "echo_value")?,
        )?);
    }
    let mut notes = vec![
        format!(
            "ours, Value (musl) without the `emulator` feature: {} KiB stripped",
            size / 1024
        ),
        format!(
            "ours, `#[lambda(http)]` echo (musl, `http` feature): {} KiB stripped",
            http_size / 1024
        ),
    ];
    if with_lambda_runtime {
        let lambda_runtime = |target, profile, dir| Build {
            peer: "lambda-runtime",
            target,
            profile,
            extra: &[],
            dir,
        };
        peers.push(same(
            "lambda_runtime, Value (musl, tuned)",
            lambda_runtime(MUSL, "tuned", "lambda-runtime").run(paths, "echo_value")?,
        )?);
        peers.push(typed(
            "lambda_runtime, typed (musl, tuned)",
            &lambda_runtime(MUSL, "tuned", "lambda-runtime"),
            paths,
        )?);
        peers.push(same(
            "lambda_runtime, Value (musl, default)",
            lambda_runtime(MUSL, "release", "lambda-runtime").run(paths, "echo_value")?,
        )?);
        peers.push(same(
            "lambda_runtime, Value (gnu, default)",
            lambda_runtime(GNU, "release", "lambda-runtime").run(paths, "echo_value")?,
        )?);
        peers.push(same(
            "lambda_runtime, Value (gnu, tuned)",
            lambda_runtime(GNU, "tuned", "lambda-runtime").run(paths, "echo_value")?,
        )?);
    } else {
        notes.push(
            "lambda_runtime left out (set BENCH_LAMBDA_RUNTIME=1, or run without --smoke)"
                .to_owned(),
        );
    }
    Ok((peers, notes))
}
