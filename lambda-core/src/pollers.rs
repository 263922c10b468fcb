//! How many pollers serve invocations, chosen where the state's type is concrete: in the
//! generated code.
//!
//! On Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY` = N > 1) N pollers share
//! the state `init` made, by `&S`, from N threads; that needs `S: Sync`. The runtime's
//! `run` is generic over `S` and cannot ask, and requiring `Sync` of every state would
//! refuse states that are fine on standard Lambda, where N is 1. So the generated `main`
//! asks, by the same layered-reference method lookup as [`report`](crate::report):
//!
//! ```text
//! (&&StateProbe::of(&init)).lambda_pollers()
//! ```
//!
//! which is [`SharedState`] for a `Sync` state and [`LocalState`] otherwise, and `run`
//! serves through whichever it got: N threads, or one poller and a line that names the
//! state type that kept it from more.

use crate::Diagnostic;
use crate::handler::Handler;
use crate::runtime::Serving;
use std::marker::PhantomData;
use std::process::ExitCode;

/// The type of the state that `init` returns, for method lookup to inspect.
pub struct StateProbe<S>(PhantomData<fn() -> S>);

impl<S> StateProbe<S> {
    /// The probe for the state of `init`.
    pub fn of(_init: &impl FnOnce() -> Result<S, Diagnostic>) -> StateProbe<S> {
        StateProbe(PhantomData)
    }
}

/// Picks `SharedState` for a state that is `Sync`.
pub trait ViaSharedState {
    /// The case.
    fn lambda_pollers(&self) -> SharedState {
        SharedState
    }
}
impl<S: Sync> ViaSharedState for &StateProbe<S> {}

/// Picks `LocalState` for any other state.
pub trait ViaLocalState<S> {
    /// The case.
    fn lambda_pollers(&self) -> LocalState<S> {
        LocalState(PhantomData)
    }
}
impl<S> ViaLocalState<S> for StateProbe<S> {}

/// The state is `Sync`: as many pollers as `AWS_LAMBDA_MAX_CONCURRENCY` asks for.
pub struct SharedState;

/// The state is not `Sync`: one poller, whatever the concurrency.
pub struct LocalState<S>(PhantomData<fn() -> S>);

/// Serves invocations with the pollers a case allows.
pub trait Pollers<S, H> {
    /// Serves until the Runtime API says to stop; never returns success.
    fn serve(self, serving: Serving<'_, S, H>) -> ExitCode;
}

impl<S: Sync, H: Handler<S>> Pollers<S, H> for SharedState {
    fn serve(self, serving: Serving<'_, S, H>) -> ExitCode {
        match serving.concurrency() {
            1 => serving.on_this_thread(),
            _ => serving.on_threads(),
        }
    }
}

impl<S, H: Handler<S>> Pollers<S, H> for LocalState<S> {
    fn serve(self, serving: Serving<'_, S, H>) -> ExitCode {
        if let slots @ 2.. = serving.concurrency() {
            crate::log(format_args!(
                "AWS_LAMBDA_MAX_CONCURRENCY is {slots}, but the state `{}` that init returns is not Sync, so this process serves one invocation at a time; make it Sync (Mutex, atomics) to serve {slots}",
                std::any::type_name::<S>()
            ));
        }
        serving.on_this_thread()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn is_shared<T>(_: T) -> bool {
        std::any::type_name::<T>() == std::any::type_name::<SharedState>()
    }

    #[test]
    #[allow(clippy::needless_borrow, reason = "the borrow is what picks the case")]
    fn a_sync_state_is_shared_and_any_other_is_local() {
        let sync_init = || Ok::<_, Diagnostic>(vec![1_u8]);
        assert!(is_shared((&&StateProbe::of(&sync_init)).lambda_pollers()));
        let local_init = || Ok::<_, Diagnostic>(Cell::new(1_u8));
        assert!(!is_shared((&&StateProbe::of(&local_init)).lambda_pollers()));
    }
}
