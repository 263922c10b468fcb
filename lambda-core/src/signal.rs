//! SIGTERM, the one signal the runtime handles, and only for the shutdown hook. The
//! standard library has no signal API, so this module makes the few libc calls needed,
//! and is the only place in the crate that does.
//!
//! No signal handler is installed: SIGTERM is blocked on the main thread before any
//! other thread exists, so every thread inherits the block, and one helper thread takes
//! the signal with `sigwait`. The hook then runs as ordinary code on that thread, free of
//! the restrictions on what a signal handler may do.
#![allow(unsafe_code)]

use std::io;

/// The set holding SIGTERM alone.
fn sigterm_set() -> libc::sigset_t {
    // SAFETY: `sigset_t` is plain data for which all zero bits is a valid value, and
    // `sigemptyset`/`sigaddset` only write into the set we own (they cannot fail for a
    // valid signal number).
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

/// Blocks SIGTERM for this thread and every thread it starts from now on.
pub(crate) fn block_sigterm() -> io::Result<()> {
    let set = sigterm_set();
    // SAFETY: the set is initialised and outlives the call; a null old-set pointer is
    // allowed. The call only changes this thread's signal mask.
    let result = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(result))
    }
}

/// Waits until SIGTERM arrives (it must be blocked, see [`block_sigterm`]).
pub(crate) fn wait_for_sigterm() -> io::Result<()> {
    let set = sigterm_set();
    let mut received = 0;
    // SAFETY: both pointers are to values we own that outlive the call.
    let result = unsafe { libc::sigwait(&set, &mut received) };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(result))
    }
}
