//! Password hashing: argon2id with OWASP's parameters, on a small pool of
//! dedicated threads, off the async runtime.
//!
//! Each hash takes ~19 MiB and tens of milliseconds of CPU. A fixed set of
//! long-lived threads keeps page requests flowing and bounds both CPU and
//! memory: a flood of log-ins queues instead of exhausting either. (Tokio's
//! blocking pool would spread hashes over many short-lived threads, and the
//! allocator keeps a 19 MiB block cached per thread: the server reached
//! 2.9 GiB under a log-in benchmark that way.)
//!
//! The line in front of the threads is bounded. Past its capacity a request
//! is answered at once with "busy, retry shortly" (503) instead of joining
//! a queue that a flood made seconds long, and a job whose requester has
//! gone (the client hung up, or the request timed out) is dropped unworked
//! when its turn comes. So after a flood of abandoned log-ins, the next
//! real one waits for at most the few hashes already under way.

use std::sync::{
    atomic::{AtomicU64, AtomicUsize, Ordering},
    mpsc, Arc, LazyLock, Mutex,
};

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher as _, PasswordVerifier as _},
    Algorithm, Argon2, Params, Version,
};
use tokio::sync::oneshot;

use super::password;
use crate::error::AppError;

/// Memory cost in KiB (19 MiB), iterations and lanes: OWASP's argon2id
/// minimum, as required by our security standards.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, verified against when the email is unknown
/// so that an unknown email costs the same time as a wrong password.
/// What an account made through an external provider keeps as its
/// password hash until its owner sets a password (through a reset link):
/// no password matches it, and checking one costs the same as for an
/// unknown address, so the answer's timing does not tell.
pub const NO_PASSWORD: &str = "!";

static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).expect("operating system randomness");
    argon2()
        .hash_password(&random)
        .expect("hashing a random password")
        .to_string()
});

/// A job for a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// Runs argon2 on `threads` dedicated threads; up to `queue` further
/// requests wait in line, and any more are turned away.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::SyncSender<Job>,
    skipped: Arc<AtomicU64>,
    /// Jobs in line, not yet taken by a thread.
    waiting: Arc<AtomicUsize>,
}

/// The default line length per hashing thread: with ~15 ms a hash, a full
/// line is a quarter of a second of waiting.
pub const QUEUE_PER_THREAD: usize = 16;

impl PasswordHasher {
    pub fn new(threads: usize, queue: usize) -> Self {
        let (jobs, queue) = mpsc::sync_channel::<Job>(queue);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || loop {
                    // The lock is held only to take the next job.
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        // Every hasher handle is gone: the server is stopping.
                        Err(_) => return,
                    }
                })
                .expect("start a password hashing thread");
        }
        Self {
            jobs,
            skipped: Arc::new(AtomicU64::new(0)),
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Jobs waiting in line for a hashing thread now.
    pub fn queued(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Jobs dropped unworked because their requester had gone.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Hashes a password into a PHC string with a fresh random salt.
    pub async fn hash(&self, password: Vec<u8>) -> Result<String, AppError> {
        self.run(move || {
            argon2()
                .hash_password(&password)
                .map(|hash| hash.to_string())
                .map_err(|error| {
                    tracing::error!("password hashing failed: {error}");
                    AppError::Internal
                })
        })
        .await?
    }

    /// Checks a password against a stored PHC string, or against the dummy
    /// hash when there is no account, so both cases take the same time.
    pub async fn verify(
        &self,
        password: Vec<u8>,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        self.run(move || {
            let stored = stored.filter(|stored| stored != NO_PASSWORD);
            let known = stored.is_some();
            let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
            let hash = match PasswordHash::new(&phc) {
                Ok(hash) => hash,
                Err(error) => {
                    tracing::error!("stored password hash is unreadable: {error}");
                    return false;
                }
            };
            // Parameters come from the stored hash, so older hashes still verify.
            let matches = argon2().verify_password(&password, &hash).is_ok();
            known && matches
        })
        .await
    }

    /// Checks a password as the person typed it against `stored`: it is
    /// normalised first ([`password::normalise`]), as it was when the hash
    /// was made, so a no-break space, full-width letters or a ligature
    /// match what was chosen. Log-in, sudo mode and a verify-first
    /// sign-up's confirmation all check passwords here. An over-long
    /// password costs the same work and fails.
    pub async fn verify_typed(
        &self,
        typed: &str,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        let password = password::normalise(typed).unwrap_or_default();
        self.verify(password.into_bytes(), stored).await
    }

    /// Computes the dummy hash now rather than on the first unknown email.
    pub fn warm_up() {
        LazyLock::force(&DUMMY_HASH);
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = oneshot::channel();
        let skipped = Arc::clone(&self.skipped);
        let waiting = Arc::clone(&self.waiting);
        let job: Job = Box::new(move || {
            waiting.fetch_sub(1, Ordering::Relaxed);
            // Nobody waits for the answer any more (the client hung up or
            // timed out): spend no time on it.
            if done.is_closed() {
                skipped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            let _ = done.send(work());
        });
        // Counted before it is sent, so that a thread taking it at once
        // never takes the count below zero.
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let sent = self.jobs.try_send(job);
        if sent.is_err() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
        }
        match sent {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => {
                tracing::warn!("password hashing queue is full: asking the client to retry");
                return Err(AppError::Busy { retry_after: 1 });
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                tracing::error!("password hashing threads are gone");
                return Err(AppError::Internal);
            }
        }
        result.await.map_err(|_| {
            tracing::error!("a password hashing job failed");
            AppError::Internal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_our_parameters_and_a_random_salt() {
        let hasher = PasswordHasher::new(2, 8);
        let first = hasher
            .hash(b"correct horse battery".to_vec())
            .await
            .unwrap();
        let second = hasher
            .hash(b"correct horse battery".to_vec())
            .await
            .unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "salts differ");
    }

    #[tokio::test]
    async fn verification_accepts_only_the_right_password() {
        let hasher = PasswordHasher::new(2, 8);
        let hash = hasher
            .hash(b"correct horse battery".to_vec())
            .await
            .unwrap();
        assert!(hasher
            .verify(b"correct horse battery".to_vec(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify(b"correct horse batterY".to_vec(), Some(hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn an_account_without_a_password_never_verifies() {
        let hasher = PasswordHasher::new(1, 8);
        for typed in ["", "!", "anything at all here"] {
            assert!(!hasher
                .verify(typed.as_bytes().to_vec(), Some(NO_PASSWORD.to_owned()))
                .await
                .unwrap());
        }
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let hasher = PasswordHasher::new(1, 8);
        assert!(!hasher
            .verify(b"anything at all here".to_vec(), None)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_does_not_verify() {
        let hasher = PasswordHasher::new(1, 8);
        assert!(!hasher
            .verify(b"x".to_vec(), Some("not a hash".into()))
            .await
            .unwrap());
    }

    /// Holds the only hashing thread until the returned sender is dropped.
    fn block_the_thread(hasher: &PasswordHasher) -> std::sync::mpsc::Sender<()> {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let hasher = hasher.clone();
        tokio::spawn(async move {
            let _ = hasher
                .run(move || {
                    let _ = wait.recv();
                })
                .await;
        });
        release
    }

    #[tokio::test]
    async fn past_the_queue_capacity_requests_are_turned_away_at_once() {
        let hasher = PasswordHasher::new(1, 2);
        let release = block_the_thread(&hasher);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.run(|| 1).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(hasher.queued(), 2, "two wait while the thread is busy");
        assert_eq!(
            hasher.run(|| 1).await,
            Err(AppError::Busy { retry_after: 1 }),
            "the third in line is turned away"
        );
        assert_eq!(hasher.queued(), 2, "one turned away is not in line");
        drop(release);
        for job in waiting {
            assert_eq!(job.await.unwrap(), Ok(1), "those in line are served");
        }
        assert_eq!(hasher.queued(), 0, "the line is empty once all are served");
    }

    #[tokio::test]
    async fn a_job_whose_requester_has_gone_is_not_worked() {
        let hasher = PasswordHasher::new(1, 8);
        let release = block_the_thread(&hasher);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let worked = Arc::new(AtomicU64::new(0));
        let abandoned: Vec<_> = (0..5)
            .map(|_| {
                let hasher = hasher.clone();
                let worked = Arc::clone(&worked);
                tokio::spawn(async move {
                    hasher
                        .run(move || worked.fetch_add(1, Ordering::SeqCst))
                        .await
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        for job in &abandoned {
            job.abort();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(release);
        assert_eq!(hasher.run(|| 7).await, Ok(7));
        assert_eq!(worked.load(Ordering::SeqCst), 0);
        assert_eq!(hasher.skipped(), 5);
    }
}
