//! Where the server's seal key (see `accounts::seal`) comes from: the
//! `SEAL_KEY` setting, or, for an SQLite database, a key file made beside
//! it on first start. Either way the key is not in the database, so a copy
//! of the database alone cannot open the secrets sealed with it.
//! PostgreSQL instances share one key, so there `SEAL_KEY` is required.

use std::{io::Write, path::PathBuf};

use super::{
    database::{sqlite_file, Backend},
    env::{var, ConfigError},
};
use crate::accounts::SealKey;

/// Where the seal key comes from.
#[derive(Clone, Debug)]
pub enum SealKeySource {
    Given(SealKey),
    /// A file of 64 hexadecimal digits, made (readable by the server's user
    /// only) when missing.
    File(PathBuf),
}

impl SealKeySource {
    /// From `SEAL_KEY`, else a key file beside the SQLite database at
    /// `database_url`.
    pub fn from_env(database_url: &str) -> Result<Self, ConfigError> {
        match var("SEAL_KEY")? {
            Some(hex) => SealKey::parse_hex(&hex)
                .map(|key| Self::Given(SealKey::new(&key)))
                .ok_or_else(|| {
                    ConfigError(
                        "SEAL_KEY must be 64 hexadecimal digits (make one with `openssl rand -hex 32`)"
                            .into(),
                    )
                }),
            None => Self::default_for(database_url).ok_or_else(|| {
                ConfigError(
                    "SEAL_KEY is required with PostgreSQL: every instance needs the same key, \
                     and it must not live in the database. Make one with `openssl rand -hex 32`."
                        .into(),
                )
            }),
        }
    }

    /// The key file beside an SQLite database (`accounts.db.seal-key`).
    pub fn default_for(database_url: &str) -> Option<Self> {
        let file = sqlite_file(database_url)?;
        let mut name = file.file_name()?.to_os_string();
        name.push(".seal-key");
        Some(Self::File(file.with_file_name(name)))
    }

    /// For a server whose settings are made in code: the key file on
    /// SQLite, else a new key for this process.
    pub fn default_or_new(database_url: &str) -> Self {
        match Backend::of_url(database_url) {
            Some(Backend::Sqlite) => Self::default_for(database_url),
            _ => None,
        }
        .unwrap_or_else(|| Self::Given(SealKey::new(&SealKey::generate_bytes())))
    }

    /// The key: as given, or read from its file (made first if missing).
    pub fn load(&self) -> std::io::Result<SealKey> {
        let path = match self {
            Self::Given(key) => return Ok(key.clone()),
            Self::File(path) => path,
        };
        if let Some(parent) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode_owner_only()
            .open(path)
        {
            Ok(mut file) => {
                let key = SealKey::generate_bytes();
                let hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
                file.write_all(hex.as_bytes())?;
                file.sync_all()?;
                Ok(SealKey::new(&key))
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path)?;
                SealKey::parse_hex(&text)
                    .map(|key| SealKey::new(&key))
                    .ok_or_else(|| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!(
                                "{} does not hold a seal key (64 hexadecimal digits)",
                                path.display()
                            ),
                        )
                    })
            }
            Err(error) => Err(error),
        }
    }
}

/// Files only the server's user may read.
trait OwnerOnly {
    fn mode_owner_only(&mut self) -> &mut Self;
}

impl OwnerOnly for std::fs::OpenOptions {
    #[cfg(unix)]
    fn mode_owner_only(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self, 0o600)
    }

    #[cfg(not(unix))]
    fn mode_owner_only(&mut self) -> &mut Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/data/accounts.db", dir.path().display());
        let source = SealKeySource::default_for(&url).unwrap();
        let SealKeySource::File(path) = &source else {
            panic!("a key file")
        };
        assert!(path.ends_with("data/accounts.db.seal-key"));
        let first = source.load().unwrap();
        let sealed = first.seal(b"secret", b"1");
        let again = source.load().unwrap();
        assert_eq!(again.open(&sealed, b"1").as_deref(), Some(&b"secret"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(path, "not a key").unwrap();
        assert!(source.load().is_err());
    }

    #[test]
    fn postgres_has_no_key_file() {
        assert!(SealKeySource::default_for("postgres://u:p@127.0.0.1:5432/db").is_none());
    }
}
