//! An `async fn` handler with an `async fn` init, for tests/tests/async_handlers.rs.
//!
//! `init` spawns a task on the runtime that answers a counter over a channel, as the AWS
//! SDK's connection pool is a task spawned by the client built in init: every
//! invocation asks it, so an answer shows that a task spawned in init is still served,
//! on whichever poller the invocation runs.

use lambda_core::{Context, lambda};
use lambda_tests::InFlight;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

#[derive(Deserialize)]
struct Command {
    /// Wait until this many invocations have been in flight at once (20 s at most).
    #[serde(default)]
    meet: usize,
    then: Then,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Then {
    /// Ask the counter task, log a line from a nested future, and answer.
    Answer,
    Fail,
    Panic,
    /// Never finish: on Managed Instances the runtime drops the future past its deadline.
    Hang,
    /// Await a tokio sleep of this many milliseconds, then answer.
    SleepMs(u64),
    /// Say `holding <request id>` on standard error, then block the thread (not await)
    /// until the file at this path exists (or 40 s have passed), then answer.
    BlockUntil(String),
}

struct Clients {
    counter: mpsc::Sender<oneshot::Sender<u64>>,
    in_flight: InFlight,
}

async fn setup() -> Result<Clients, lambda_core::Error> {
    let (counter, mut asks) = mpsc::channel::<oneshot::Sender<u64>>(16);
    tokio::spawn(async move {
        let mut count = 0;
        while let Some(reply) = asks.recv().await {
            count += 1;
            let _ = reply.send(count);
        }
    });
    Ok(Clients {
        counter,
        in_flight: InFlight::default(),
    })
}

async fn ask(clients: &Clients) -> Result<u64, lambda_core::Error> {
    let (reply, answer) = oneshot::channel();
    clients.counter.send(reply).await?;
    let count = answer.await?;
    log::info!("asked the counter: {count}");
    Ok(count)
}

#[lambda(init = setup)]
async fn handler(
    command: Command,
    ctx: &Context,
    clients: &Clients,
) -> Result<Value, lambda_core::Error> {
    let _entered = clients.in_flight.enter();
    let met = clients.in_flight.wait_for(command.meet);
    match command.then {
        Then::Answer => Ok(json!({
            "request_id": ctx.request_id,
            "count": ask(clients).await?,
            "met": met,
        })),
        Then::Fail => Err(format!("{} failed on purpose", ctx.request_id).into()),
        Then::Panic => panic!("{} panicked on purpose", ctx.request_id),
        Then::Hang => {
            std::future::pending::<()>().await;
            Ok(Value::Null)
        }
        Then::SleepMs(ms) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(json!({"request_id": ctx.request_id}))
        }
        Then::BlockUntil(path) => {
            eprintln!("holding {}", ctx.request_id);
            // Twice the tests' patience: a test that waits for the others first fails
            // before this gives up.
            let deadline = std::time::Instant::now() + 2 * lambda_tests::PATIENCE;
            while !std::path::Path::new(&path).exists() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Ok(json!({"request_id": ctx.request_id}))
        }
    }
}
