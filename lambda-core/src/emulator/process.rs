//! The function process: started from a thread that lives as long as the emulator, so
//! that it dies with the emulator.

use super::lock;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Instant;

/// A running function process.
pub(crate) struct Process {
    pub(crate) child: Child,
    pub(crate) spawned: Instant,
    /// Whether a REPORT line has shown this process's init duration yet.
    pub(crate) init_reported: bool,
}

/// Starts function processes from one thread that lives as long as the emulator. Each
/// function process asks the kernel, first thing, to kill it when that thread ends
/// ([`end_with_emulator`](super::end_with_emulator)): so it never outlives the emulator,
/// however the emulator ends (SIGTERM, SIGHUP, SIGINT, SIGKILL, a panic or a normal
/// exit). Not from the caller's thread: `PR_SET_PDEATHSIG` fires when the *thread* that
/// started the child ends, and the Invoke endpoint answers each connection on a thread
/// of its own.
pub(crate) struct Spawner {
    shared: Arc<(Mutex<Spawn>, Condvar)>,
}

/// The spawner thread's one request at a time (the supervisor's lock serialises them).
#[derive(Default)]
enum Spawn {
    #[default]
    Idle,
    Asked,
    Done(std::io::Result<Child>),
}

impl Spawner {
    pub(crate) fn start(program: PathBuf) -> std::io::Result<Spawner> {
        let shared = Arc::new((Mutex::new(Spawn::Idle), Condvar::new()));
        let spawner = Arc::clone(&shared);
        thread::Builder::new()
            .name("lambda-emulator-spawner".to_owned())
            .spawn(move || {
                let (slot, changed) = &*spawner;
                let mut spawn = lock(slot);
                loop {
                    if matches!(*spawn, Spawn::Asked) {
                        *spawn = Spawn::Done(Command::new(&program).stdin(Stdio::null()).spawn());
                        changed.notify_all();
                    }
                    spawn = changed.wait(spawn).unwrap_or_else(|p| p.into_inner());
                }
            })?;
        Ok(Spawner { shared })
    }

    pub(crate) fn spawn(&self) -> std::io::Result<Child> {
        let (slot, changed) = &*self.shared;
        let mut spawn = lock(slot);
        *spawn = Spawn::Asked;
        changed.notify_all();
        loop {
            if let Spawn::Done(child) = std::mem::take(&mut *spawn) {
                return child;
            }
            *spawn = Spawn::Asked;
            spawn = changed.wait(spawn).unwrap_or_else(|p| p.into_inner());
        }
    }
}
