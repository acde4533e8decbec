//! The server's request lines, written in batches.
//!
//! One line per request is the busiest thing the server logs, and a write
//! system call per line cost more CPU than formatting the line. So request
//! lines (target `http`, below warn) collect in memory, as nginx's
//! buffered access log does, and are written when 32 KiB have collected,
//! within 100 ms of being logged, before any other line, and when the
//! server stops or panics. Every other line is written at once, after the
//! request lines logged before it, so the order is kept.

use std::{
    io::{self, Write},
    sync::{Mutex, PoisonError},
    time::Duration,
};

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// The target of the one line each request is logged with.
pub(super) const REQUEST_LINES: &str = "http";

/// Writes out the request lines still waiting: the server calls it as it
/// exits.
pub fn flush() {
    STDOUT.write_pending();
}

/// Lines waiting to be written to the server's stdout.
static STDOUT: Batched = Batched {
    pending: Mutex::new(Vec::new()),
    sink: write_stdout,
};

/// Request lines are written once this many bytes wait…
const BATCH_BYTES: usize = 32 * 1024;
/// …or when the oldest has waited about this long.
const BATCH_WAIT: Duration = Duration::from_millis(100);

/// Lines waiting to be written to `sink`.
struct Batched {
    pending: Mutex<Vec<u8>>,
    sink: fn(&[u8]) -> io::Result<()>,
}

impl Batched {
    /// Adds `line` after the lines waiting; writes them all out when `now`
    /// or when a batch is full.
    fn append(&self, line: &[u8], now: bool) -> io::Result<()> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.extend_from_slice(line);
        if now || pending.len() >= BATCH_BYTES {
            self.write_out(&mut pending)
        } else {
            Ok(())
        }
    }

    /// Writes out whatever waits, once the lines being added are in.
    fn write_pending(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        self.write_any(&mut pending);
    }

    /// [`Self::write_pending`], unless the lines are being written at this
    /// moment: a panic while writing them must not hang its own hook.
    fn write_pending_unless_busy(&self) {
        let mut pending = match self.pending.try_lock() {
            Ok(pending) => pending,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        self.write_any(&mut pending);
    }

    /// [`Self::write_out`] when any line waits; nowhere is left to report
    /// a failed write of the log.
    fn write_any(&self, pending: &mut Vec<u8>) {
        if !pending.is_empty() {
            let _ = self.write_out(pending);
        }
    }

    /// One write of every waiting line; they are dropped even when it
    /// fails, so that a closed stdout cannot make them pile up.
    fn write_out(&self, pending: &mut Vec<u8>) -> io::Result<()> {
        let written = (self.sink)(pending);
        pending.clear();
        written
    }
}

fn write_stdout(lines: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(lines).and_then(|()| stdout.flush())
}

/// Adds a request line, formatted by [`super::line`], to those waiting.
pub(super) fn append_request_line(line: &[u8]) {
    // A failed write has nowhere to be reported but the log itself.
    let _ = STDOUT.append(line, false);
}

/// Writes out waiting request lines every [`BATCH_WAIT`], and before a
/// panic's message.
pub(super) fn start_batching() {
    let writer = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(|| loop {
            std::thread::sleep(BATCH_WAIT);
            STDOUT.write_pending();
        });
    if let Err(error) = writer {
        eprintln!("request lines will wait for a full batch: {error}");
    }
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        STDOUT.write_pending_unless_busy();
        report(info);
    }));
}

/// One event's line: a request line waits for its batch, any other line
/// is written at once.
pub(super) struct Line {
    now: bool,
}

impl Write for Line {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        STDOUT.append(line, self.now)?;
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The server's stdout, with request lines written in batches.
pub(super) struct BatchedStdout;

impl<'a> MakeWriter<'a> for BatchedStdout {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line { now: true }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        Line {
            now: !is_request_line(meta),
        }
    }
}

/// A request's own line, below warn: one that may wait for its batch.
fn is_request_line(meta: &Metadata<'_>) -> bool {
    meta.target() == REQUEST_LINES && *meta.level() > Level::WARN
}

#[cfg(test)]
mod tests {
    use super::*;

    static WRITTEN: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

    fn record(lines: &[u8]) -> io::Result<()> {
        WRITTEN.lock().unwrap().push(lines.to_vec());
        Ok(())
    }

    #[test]
    fn request_lines_wait_for_a_batch_and_other_lines_take_them_along_in_order() {
        let batched = Batched {
            pending: Mutex::new(Vec::new()),
            sink: record,
        };
        batched.append(b"GET / 200\n", false).unwrap();
        batched.append(b"GET /login 200\n", false).unwrap();
        assert!(WRITTEN.lock().unwrap().is_empty(), "request lines wait");
        batched.append(b"WARN mail is late\n", true).unwrap();
        assert_eq!(
            WRITTEN.lock().unwrap().drain(..).collect::<Vec<_>>(),
            [b"GET / 200\nGET /login 200\nWARN mail is late\n".to_vec()],
            "one write, in the order logged"
        );

        let line = [b'x'; 1000];
        for _ in 0..BATCH_BYTES / line.len() {
            batched.append(&line, false).unwrap();
        }
        assert!(WRITTEN.lock().unwrap().is_empty(), "not yet a full batch");
        batched.append(&line, false).unwrap();
        let written = WRITTEN.lock().unwrap().drain(..).collect::<Vec<_>>();
        assert_eq!(written.len(), 1, "a full batch goes out in one write");
        assert!(written[0].len() > BATCH_BYTES);

        batched.append(b"GET / 200\n", false).unwrap();
        batched.write_pending();
        batched.write_pending();
        assert_eq!(
            WRITTEN.lock().unwrap().drain(..).collect::<Vec<_>>(),
            [b"GET / 200\n".to_vec()],
            "the timer writes what waits, once"
        );

        batched.append(b"GET / 200\n", false).unwrap();
        let busy = batched.pending.lock().unwrap();
        batched.write_pending_unless_busy();
        drop(busy);
        assert!(
            WRITTEN.lock().unwrap().is_empty(),
            "a panic's flush does not wait for the lines being written"
        );
        batched.write_pending();
        assert_eq!(WRITTEN.lock().unwrap().len(), 1);
    }

    /// Records, for each event, whether it may wait for a batch.
    struct Classify(std::sync::Arc<Mutex<Vec<bool>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Classify {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            self.0
                .lock()
                .unwrap()
                .push(is_request_line(event.metadata()));
        }
    }

    #[test]
    fn only_a_request_line_below_warn_may_wait() {
        use tracing_subscriber::layer::SubscriberExt;
        let seen = std::sync::Arc::default();
        let subscriber =
            tracing_subscriber::registry().with(Classify(std::sync::Arc::clone(&seen)));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: REQUEST_LINES, "GET / 200");
            tracing::warn!(target: REQUEST_LINES, "a warning about requests");
            tracing::error!(target: REQUEST_LINES, "an error about requests");
            tracing::info!("listening on http://127.0.0.1:3000");
        });
        assert_eq!(*seen.lock().unwrap(), [true, false, false, false]);
    }
}
