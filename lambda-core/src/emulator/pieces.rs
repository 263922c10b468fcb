//! The pieces of a streamed response on their way from the function's post to the
//! caller of the invocation, and the small bounded queue they go through (std's `mpsc`
//! would do, at 16 KiB of every function binary).

use super::lock;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A piece of a streamed response, as the function's post delivers it.
pub(crate) enum Piece {
    /// A chunk of the body.
    Data(Vec<u8>),
    /// The end of the stream, with the error its trailers carry if the function failed
    /// after the first chunk.
    End(Option<StreamError>),
    /// The stream broke off before its end: why.
    Cut(&'static str),
}

/// The error a stream's trailers carry, as the function sent them.
pub(crate) struct StreamError {
    /// `Lambda-Runtime-Function-Error-Type`.
    pub(crate) error_type: String,
    /// `Lambda-Runtime-Function-Error-Body`: the error report's JSON in base64.
    pub(crate) body: String,
}

/// How many chunks a stream may hold between the function and its caller: a caller that
/// reads slowly slows the function down (its writes wait), as on Lambda.
const DEPTH: usize = 4;

#[derive(Default)]
struct Queue {
    /// Oldest first; a `Vec`, as it holds a few (`VecDeque` would add its own code).
    pieces: Vec<Piece>,
    /// The sending or the receiving side was dropped.
    sender_gone: bool,
    receiver_gone: bool,
}

type Shared = Arc<(Mutex<Queue>, Condvar)>;

/// Where the sandbox puts a stream's pieces.
pub(crate) struct Sender(Shared);

/// Where the supervisor takes them from.
pub(crate) struct Receiver(Shared);

/// Why [`Receiver::take`] gave no piece.
pub(crate) enum NoPiece {
    /// None came within the wait.
    Timeout,
    /// The sender is gone, and every piece it sent was taken.
    Ended,
}

/// A queue, by its two ends.
pub(crate) fn queue() -> (Sender, Receiver) {
    let shared = Shared::default();
    (Sender(Arc::clone(&shared)), Receiver(shared))
}

impl Sender {
    /// Puts `piece`, waiting while the queue is full of data (an end goes in at once, so
    /// that the function's post is answered when it ends); `Err` once the receiver is
    /// gone.
    pub(crate) fn put(&self, piece: Piece) -> Result<(), Piece> {
        let (queue, changed) = &*self.0;
        let mut queue = lock(queue);
        let is_data = matches!(piece, Piece::Data(_));
        while is_data && queue.pieces.len() >= DEPTH && !queue.receiver_gone {
            queue = changed.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
        if queue.receiver_gone {
            return Err(piece);
        }
        queue.pieces.push(piece);
        changed.notify_all();
        Ok(())
    }
}

impl Receiver {
    /// Takes the next piece, waiting up to `wait` for one.
    pub(crate) fn take(&self, wait: Duration) -> Result<Piece, NoPiece> {
        let (queue, changed) = &*self.0;
        let until = Instant::now() + wait;
        let mut queue = lock(queue);
        loop {
            if !queue.pieces.is_empty() {
                changed.notify_all();
                return Ok(queue.pieces.remove(0));
            }
            if queue.sender_gone {
                return Err(NoPiece::Ended);
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NoPiece::Timeout);
            }
            queue = changed
                .wait_timeout(queue, left)
                .map_or_else(|p| p.into_inner().0, |(q, _)| q);
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        lock(&self.0.0).sender_gone = true;
        self.0.1.notify_all();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        lock(&self.0.0).receiver_gone = true;
        self.0.1.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_come_in_order_and_a_full_queue_waits_for_the_receiver() {
        let (sender, receiver) = queue();
        let sending = std::thread::spawn(move || {
            for n in 0..10 {
                if sender.put(Piece::Data(vec![n])).is_err() {
                    return false;
                }
            }
            true
        });
        for n in 0..10 {
            match receiver.take(Duration::from_secs(20)) {
                Ok(Piece::Data(data)) => assert_eq!(data, [n]),
                _ => panic!("piece {n} missing"),
            }
        }
        assert!(sending.join().unwrap());
        assert!(matches!(
            receiver.take(Duration::from_secs(20)),
            Err(NoPiece::Ended)
        ));
    }

    #[test]
    fn a_sender_learns_the_receiver_is_gone_and_a_receiver_waits_its_time() {
        let (sender, receiver) = queue();
        assert!(matches!(
            receiver.take(Duration::ZERO),
            Err(NoPiece::Timeout)
        ));
        drop(receiver);
        assert!(sender.put(Piece::Data(Vec::new())).is_err());
    }
}
