//! The AWS SDK comparison (`--sdk`): the same async handler, awaiting one DynamoDB
//! GetItem with a client built at start, through ours (`#[lambda]` with the `tokio`
//! feature) and through lambda_runtime, against one moto server on loopback, in the same
//! run. moto comes from `MOTO_SERVER`, or from the virtual environment that
//! tests/aws-sdk.sh creates.
//!
//! moto answers every request with `Connection: close`, so each GetItem opens a
//! connection for both runtimes alike, and moto (Python) bounds the warm rate: the ratio
//! is what this measures, not the absolute rate.

use crate::build::{self, Build, MUSL, Paths};
use crate::measure::{self, Cold, Phase};
use crate::report::median;
use std::fmt::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TABLE: &str = "bench";
const COLD_RUNS: usize = 10;
const WARM_EVENTS: usize = 500;
const ROUNDS: usize = 5;

/// moto's server, stopped by its PID when dropped.
struct Moto {
    child: Child,
    port: u16,
    python: PathBuf,
}

impl Moto {
    fn start() -> Result<Moto, String> {
        let server = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| Paths::new().out.join("../moto-venv/bin/moto_server"));
        if !server.is_file() {
            return Err(format!(
                "no moto_server at {}: run `bash tests/aws-sdk.sh` once, or set MOTO_SERVER",
                server.display()
            ));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|error| error.to_string())?
            .port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("{}: {error}", server.display()))?;
        let moto = Moto {
            child,
            port,
            python: server.with_file_name("python"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("moto never listened on {port}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(moto)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The table and the one item the handlers read, written with boto3 (moto's own
    /// dependency, in the same virtual environment).
    fn seed(&self) -> Result<(), String> {
        let script = format!(
            "import boto3\n\
             c = boto3.client('dynamodb', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             c.create_table(TableName='{TABLE}', BillingMode='PAY_PER_REQUEST', AttributeDefinitions=[{{'AttributeName': 'id', 'AttributeType': 'S'}}], KeySchema=[{{'AttributeName': 'id', 'KeyType': 'HASH'}}])\n\
             c.put_item(TableName='{TABLE}', Item={{'id': {{'S': 'bench'}}}})\n",
            self.endpoint()
        );
        let status = Command::new(&self.python)
            .args(["-c", &script])
            .stdin(Stdio::null())
            .status()
            .map_err(|error| format!("{}: {error}", self.python.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err("seeding moto's table failed".to_owned())
        }
    }

    /// What the functions need to reach it, and nothing beyond loopback.
    fn function_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint().as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", ""),
            ("AWS_SHARED_CREDENTIALS_FILE", ""),
            ("TABLE", TABLE),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct SdkPeer {
    label: &'static str,
    peer: &'static str,
    binary: PathBuf,
    size: u64,
    cold: Option<Cold>,
    warm: Vec<Phase>,
    build: (usize, Duration),
}

/// Builds both peers, measures them against one moto, and renders the table.
pub fn run(paths: &Paths, events: &[Vec<u8>]) -> Result<String, String> {
    let moto = Moto::start()?;
    moto.seed()?;
    let env = moto.function_env();
    let mut peers = Vec::new();
    for (label, peer) in [
        ("ours (`#[lambda] async fn`, tokio feature)", "sdk-ours"),
        ("lambda_runtime", "sdk-lambda-runtime"),
    ] {
        eprintln!("bench: building {peer}");
        let binary = Build {
            peer,
            target: MUSL,
            profile: "release",
            extra: &[],
            dir: peer,
        }
        .run(paths, "get_echo")?;
        peers.push(SdkPeer {
            label,
            peer,
            size: build::stripped_size(&binary, paths)?,
            binary,
            cold: None,
            warm: Vec::new(),
            build: (0, Duration::ZERO),
        });
    }
    for peer in &mut peers {
        eprintln!("bench: SDK cold starts: {}", peer.peer);
        peer.cold = Some(measure::cold_with_env(
            &peer.binary,
            COLD_RUNS,
            &events[0],
            &env,
        )?);
    }
    let warm_events = &events[..WARM_EVENTS.min(events.len())];
    for round in 1..=ROUNDS {
        for peer in &mut peers {
            eprintln!("bench: SDK warm round {round}/{ROUNDS}: {}", peer.peer);
            peer.warm.push(measure::phase_with_env(
                &peer.binary,
                warm_events,
                None,
                &env,
            )?);
        }
    }
    for peer in &mut peers {
        eprintln!("bench: clean build of {}", peer.peer);
        peer.build = build::clean_build(peer.peer, "get_echo", paths)?;
    }
    Ok(render(&peers, warm_events.len()))
}

struct Numbers {
    to_next_ms: f64,
    to_response_ms: f64,
    per_second: f64,
    per_second_range: (f64, f64),
    peak_rss_mib: f64,
}

fn numbers(peer: &SdkPeer) -> Numbers {
    let ms =
        |values: &[Duration]| median(values.iter().map(|d| d.as_secs_f64() * 1000.0).collect());
    let cold = peer.cold.as_ref();
    Numbers {
        to_next_ms: cold.map_or(f64::NAN, |cold| ms(&cold.to_next)),
        to_response_ms: cold.map_or(f64::NAN, |cold| ms(&cold.to_response)),
        per_second: median(peer.warm.iter().map(|phase| phase.per_second).collect()),
        per_second_range: peer
            .warm
            .iter()
            .map(|phase| phase.per_second)
            .fold((f64::MAX, 0.0_f64), |(lo, hi), rate| {
                (lo.min(rate), hi.max(rate))
            }),
        peak_rss_mib: median(
            peer.warm
                .iter()
                .map(|phase| phase.peak_rss_kib as f64 / 1024.0)
                .collect(),
        ),
    }
}

fn render(peers: &[SdkPeer], warm_events: usize) -> String {
    let mut out = String::from(
        "\n### The AWS SDK (DynamoDB GetItem against moto)\n\n| runtime | cold start to first `/next` ms | to first response ms | warm inv/s (min–max) | peak RSS MiB | stripped KiB | clean build |\n|---|---|---|---|---|---|---|\n",
    );
    for peer in peers {
        let n = numbers(peer);
        let _ = writeln!(
            out,
            "| {} | {:.2} | {:.2} | {:.0} ({:.0}–{:.0}) | {:.2} | {} | {} crates, {:.0} s |",
            peer.label,
            n.to_next_ms,
            n.to_response_ms,
            n.per_second,
            n.per_second_range.0,
            n.per_second_range.1,
            n.peak_rss_mib,
            peer.size / 1024,
            peer.build.0,
            peer.build.1.as_secs_f64()
        );
    }
    let _ = writeln!(
        out,
        "\nCold: median of {COLD_RUNS} starts, `init` loading the SDK's config. Warm: {warm_events} events per process, {ROUNDS} rounds interleaved, median.\n"
    );
    if let [ours, theirs] = peers {
        let (o, t) = (numbers(ours), numbers(theirs));
        let verdict = |met: bool| if met { "met" } else { "MISSED" };
        let size_ratio = ours.size as f64 / theirs.size as f64;
        let rate_ratio = o.per_second / t.per_second;
        let _ = writeln!(
            out,
            "- cold start below lambda_runtime's: to `/next` {:.2} vs {:.2} ms, to the first response {:.2} vs {:.2} ms: {}",
            o.to_next_ms,
            t.to_next_ms,
            o.to_response_ms,
            t.to_response_ms,
            verdict(o.to_next_ms < t.to_next_ms && o.to_response_ms < t.to_response_ms)
        );
        let _ = writeln!(
            out,
            "- peak RSS below lambda_runtime's: {:.2} vs {:.2} MiB: {}",
            o.peak_rss_mib,
            t.peak_rss_mib,
            verdict(o.peak_rss_mib < t.peak_rss_mib)
        );
        let _ = writeln!(
            out,
            "- size at most 1.05× lambda_runtime's: {size_ratio:.3}×: {}",
            verdict(size_ratio <= 1.05)
        );
        let _ = writeln!(
            out,
            "- warm throughput at least 0.95× lambda_runtime's: {rate_ratio:.3}×: {}",
            verdict(rate_ratio >= 0.95)
        );
    }
    out
}
