//! The request line in plain text, written without `tracing`'s formatter.
//!
//! On a page served from memory the request line was a twentieth of the
//! server's work, and most of it went to the general formatter: visiting
//! the fields, escaping them, formatting the time. When the server writes
//! plain text to a pipe or file (as a service does), the line is put
//! together here instead, byte for byte as the formatter would write it,
//! and joins the batch of waiting lines. `RUST_LOG` still decides whether
//! it is written. A terminal (coloured) and JSON keep the formatter.

use std::{
    cell::RefCell,
    fmt::Write as _,
    sync::atomic::{AtomicBool, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use tracing::Level;

use super::batch::{self, REQUEST_LINES};

/// Whether request lines are written here (plain text to the batch).
static PLAIN: AtomicBool = AtomicBool::new(false);

/// Request lines are written here from now on (see the module's comment).
pub(super) fn write_plain() {
    PLAIN.store(true, Ordering::Relaxed);
}

/// Writes the request line here when that is how lines are written and
/// `RUST_LOG` lets it through; `false` leaves it to `tracing`.
pub(super) fn try_write(id: &str, method: &str, route: &str, status: u16, millis: f64) -> bool {
    if !PLAIN.load(Ordering::Relaxed) {
        return false;
    }
    if tracing::enabled!(target: REQUEST_LINES, Level::INFO) {
        let line = format_line(SystemTime::now(), id, method, route, status, millis);
        batch::append_request_line(line.as_bytes());
    }
    true
}

/// `2026-12-05T05:58:35.885810Z  INFO http: GET / 200 1.1ms request_id=…`
fn format_line(
    at: SystemTime,
    id: &str,
    method: &str,
    route: &str,
    status: u16,
    millis: f64,
) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut line = String::with_capacity(128);
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != since.as_secs() || text.is_empty() {
            *second = since.as_secs();
            *text = crate::time::rfc3339(i64::try_from(*second).unwrap_or_default());
            text.pop(); // the `Z`, which follows the microseconds
        }
        line.push_str(text);
    });
    let _ = write!(
        line,
        ".{:06}Z  INFO {REQUEST_LINES}: ",
        since.subsec_micros()
    );
    push_printable(&mut line, method);
    line.push(' ');
    push_printable(&mut line, route);
    let _ = writeln!(line, " {status} {millis:.1}ms request_id={id}");
    line
}

thread_local! {
    /// The last second formatted on this thread, and its text.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
}

/// `text` with control characters shown as `?`: a line stays one line.
fn push_printable(line: &mut String, text: &str) {
    line.extend(text.chars().map(|c| if c.is_control() { '?' } else { c }));
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_line_is_the_one_the_text_format_writes() {
        let at = UNIX_EPOCH + Duration::from_micros(1_795_391_999_000_042);
        assert_eq!(
            format_line(at, "d25391ff", "GET", "/login", 200, 1.06),
            "2026-11-22T23:59:59.000042Z  INFO http: GET /login 200 1.1ms request_id=d25391ff\n"
        );
        let next = UNIX_EPOCH + Duration::from_micros(1_795_392_000_500_000);
        assert_eq!(
            format_line(next, "x", "POST", "/a\n/b", 303, 12.0),
            "2026-11-23T00:00:00.500000Z  INFO http: POST /a?/b 303 12.0ms request_id=x\n",
            "a new second, and a control character kept off the line"
        );
    }

    /// Where the formatter's line goes in the test below.
    #[derive(Clone, Default)]
    struct Written(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Written {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_formatter_writes_the_same_line_after_the_time() {
        let written = Written::default();
        let sink = written.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        let (id, method, route, status, millis) = ("d25391ff", "GET", "/login", 200, 1.06);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: REQUEST_LINES,
                request_id = %id,
                "{method} {route} {status} {millis:.1}ms",
            );
        });
        let theirs = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        let ours = format_line(SystemTime::now(), id, method, route, status, millis);
        let time = "2026-12-05T05:58:35.885810Z".len();
        assert_eq!(theirs.len(), ours.len(), "{theirs:?} against {ours:?}");
        assert_eq!(theirs[time..], ours[time..]);
    }
}
