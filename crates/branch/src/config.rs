//! How the server is configured: [`Config`] with defaults for a data directory, a TOML config file
//! ([`ConfigFile`]) and environment overrides (`PLKK_BRANCH_LISTEN`, `PLKK_BRANCH_DATA_DIR`,
//! `PLKK_BRANCH_TLS_CERT`, `PLKK_BRANCH_TLS_KEY`, `PLKK_BRANCH_MAX_BODY_BYTES`,
//! `PLKK_BRANCH_MAX_DOCUMENT_BYTES`,
//! `PLKK_BRANCH_MAX_CONNECTIONS`, `PLKK_BRANCH_HEADER_TIMEOUT_SECONDS`,
//! `PLKK_BRANCH_BODY_TIMEOUT_SECONDS`, `PLKK_BRANCH_IDLE_TIMEOUT_SECONDS`). Plain HTTP is allowed
//! only on a loopback address; [`Config::check`] refuses anything else without TLS files.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::BranchError;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8700";
/// Connections served at once by default (systemd's default open-file limit is 1024).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Seconds for a TLS handshake, and for a request's headers from when the server starts waiting.
pub const DEFAULT_HEADER_TIMEOUT_SECONDS: u64 = 20;
/// Seconds for a whole request body (128 KiB at 16 kbit/s takes about 65 s).
pub const DEFAULT_BODY_TIMEOUT_SECONDS: u64 = 120;
/// Seconds a connection may pass without a byte moving either way.
pub const DEFAULT_IDLE_TIMEOUT_SECONDS: u64 = 60;

/// The certificate chain and private key (PEM files) the server presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub tls: Option<TlsFiles>,
    /// Largest request body, before and after gzip decompression (also the largest chunk of a
    /// case document).
    pub max_body_bytes: usize,
    /// Largest case document accepted, in bytes (at most 10,000,000, the contract's limit).
    pub max_document_bytes: u64,
    /// Most connections served at once (lowered to stay below the open-file limit).
    pub max_connections: usize,
    /// A TLS handshake, and a request's headers, must arrive within this.
    pub header_timeout: Duration,
    /// A request's whole body must arrive within this (else 408 `body_timeout`).
    pub body_timeout: Duration,
    /// A connection on which nothing moves for this long is closed.
    pub idle_timeout: Duration,
}

/// The config file (TOML). Every key is optional; the command line and the environment win.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_body_bytes: Option<usize>,
    pub max_document_bytes: Option<u64>,
    pub max_connections: Option<usize>,
    pub header_timeout_seconds: Option<u64>,
    pub body_timeout_seconds: Option<u64>,
    pub idle_timeout_seconds: Option<u64>,
}

impl Config {
    /// Defaults: listen on 127.0.0.1:8700, plain HTTP, the protocol's body limit.
    pub fn for_data_dir(dir: &Path) -> Config {
        Config {
            data_dir: dir.to_owned(),
            listen: DEFAULT_LISTEN.parse().expect("the default address parses"),
            tls: None,
            max_body_bytes: plkk_protocol::MAX_BODY_BYTES,
            max_document_bytes: plkk_domain::MAX_STORED_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECONDS),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECONDS),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECONDS),
        }
    }

    /// Reads a TOML config file.
    pub fn read_file(path: &Path) -> Result<ConfigFile, BranchError> {
        let text = std::fs::read_to_string(path).map_err(|source| BranchError::ConfigFile {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text)
            .map_err(|error| BranchError::Config(format!("{}: {error}", path.display())))
    }

    /// Lays `file` over these values (the data directory only when `self` has none given).
    pub fn apply_file(&mut self, file: &ConfigFile) -> Result<(), BranchError> {
        if let Some(listen) = &file.listen {
            self.listen = parse_listen(listen)?;
        }
        if let Some(max) = file.max_body_bytes {
            self.max_body_bytes = max;
        }
        if let Some(max) = file.max_document_bytes {
            self.max_document_bytes = max;
        }
        if let Some(max) = file.max_connections {
            self.max_connections = max;
        }
        let seconds = Duration::from_secs;
        if let Some(timeout) = file.header_timeout_seconds {
            self.header_timeout = seconds(timeout);
        }
        if let Some(timeout) = file.body_timeout_seconds {
            self.body_timeout = seconds(timeout);
        }
        if let Some(timeout) = file.idle_timeout_seconds {
            self.idle_timeout = seconds(timeout);
        }
        self.set_tls(file.tls_cert.clone(), file.tls_key.clone());
        Ok(())
    }

    /// Lays the `PLKK_BRANCH_*` variables of `lookup` over these values.
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), BranchError> {
        if let Some(listen) = lookup("PLKK_BRANCH_LISTEN") {
            self.listen = parse_listen(&listen)?;
        }
        if let Some(max) = lookup("PLKK_BRANCH_MAX_BODY_BYTES") {
            self.max_body_bytes = max.trim().parse().map_err(|_| {
                BranchError::Config(format!(
                    "PLKK_BRANCH_MAX_BODY_BYTES must be a number of bytes, got {max:?}"
                ))
            })?;
        }
        let number = |name: &str| -> Result<Option<u64>, BranchError> {
            lookup(name)
                .map(|text| {
                    text.trim().parse().map_err(|_| {
                        BranchError::Config(format!("{name} must be a whole number, got {text:?}"))
                    })
                })
                .transpose()
        };
        if let Some(max) = number("PLKK_BRANCH_MAX_DOCUMENT_BYTES")? {
            self.max_document_bytes = max;
        }
        if let Some(max) = number("PLKK_BRANCH_MAX_CONNECTIONS")? {
            self.max_connections = usize::try_from(max).unwrap_or(usize::MAX);
        }
        if let Some(timeout) = number("PLKK_BRANCH_HEADER_TIMEOUT_SECONDS")? {
            self.header_timeout = Duration::from_secs(timeout);
        }
        if let Some(timeout) = number("PLKK_BRANCH_BODY_TIMEOUT_SECONDS")? {
            self.body_timeout = Duration::from_secs(timeout);
        }
        if let Some(timeout) = number("PLKK_BRANCH_IDLE_TIMEOUT_SECONDS")? {
            self.idle_timeout = Duration::from_secs(timeout);
        }
        self.set_tls(
            lookup("PLKK_BRANCH_TLS_CERT").map(PathBuf::from),
            lookup("PLKK_BRANCH_TLS_KEY").map(PathBuf::from),
        );
        Ok(())
    }

    /// Sets whichever of the two TLS files is given, keeping the other.
    pub fn set_tls(&mut self, cert: Option<PathBuf>, key: Option<PathBuf>) {
        if cert.is_none() && key.is_none() {
            return;
        }
        let current = self.tls.take();
        let (old_cert, old_key) = match current {
            Some(files) => (Some(files.cert), Some(files.key)),
            None => (None, None),
        };
        match (cert.or(old_cert), key.or(old_key)) {
            (Some(cert), Some(key)) => self.tls = Some(TlsFiles { cert, key }),
            // Half a pair is kept as an empty path so `check` names the missing one.
            (Some(cert), None) => {
                self.tls = Some(TlsFiles {
                    cert,
                    key: PathBuf::new(),
                })
            }
            (None, Some(key)) => {
                self.tls = Some(TlsFiles {
                    cert: PathBuf::new(),
                    key,
                })
            }
            (None, None) => {}
        }
    }

    /// Refuses a configuration that would be unsafe or cannot work: plain HTTP on a non-loopback
    /// address, half a TLS pair, a zero body limit, no connection, a zero timeout.
    pub fn check(&self) -> Result<(), BranchError> {
        if self.max_body_bytes == 0 {
            return Err(BranchError::Config(
                "max_body_bytes must be more than 0".to_owned(),
            ));
        }
        if self.max_document_bytes == 0 || self.max_document_bytes > plkk_domain::MAX_STORED_BYTES {
            return Err(BranchError::Config(format!(
                "max_document_bytes must be 1 to {} (the documents' contract limit)",
                plkk_domain::MAX_STORED_BYTES
            )));
        }
        if self.max_connections == 0 {
            return Err(BranchError::Config(
                "max_connections must be more than 0".to_owned(),
            ));
        }
        for (name, timeout) in [
            ("header_timeout_seconds", self.header_timeout),
            ("body_timeout_seconds", self.body_timeout),
            ("idle_timeout_seconds", self.idle_timeout),
        ] {
            if timeout.is_zero() {
                return Err(BranchError::Config(format!("{name} must be more than 0")));
            }
        }
        match &self.tls {
            Some(files) if files.cert.as_os_str().is_empty() => Err(BranchError::Config(
                "a TLS key was given without a certificate (--tls-cert / tls_cert)".to_owned(),
            )),
            Some(files) if files.key.as_os_str().is_empty() => Err(BranchError::Config(
                "a TLS certificate was given without its key (--tls-key / tls_key)".to_owned(),
            )),
            Some(_) => Ok(()),
            None if self.listen.ip().is_loopback() => Ok(()),
            None => Err(BranchError::Config(format!(
                "refusing to serve plain HTTP on {}: records of patients must travel over TLS. \
                 Give --tls-cert and --tls-key (or tls_cert/tls_key in the config file), \
                 or listen on a loopback address such as 127.0.0.1",
                self.listen
            ))),
        }
    }
}

fn parse_listen(text: &str) -> Result<SocketAddr, BranchError> {
    text.trim().parse().map_err(|_| {
        BranchError::Config(format!(
            "listen address must be IP:PORT such as 0.0.0.0:8700, got {text:?}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(listen: &str, tls: bool) -> Config {
        let mut config = Config::for_data_dir(Path::new("/tmp/branch"));
        config.listen = listen.parse().unwrap();
        if tls {
            config.set_tls(Some("cert.pem".into()), Some("key.pem".into()));
        }
        config
    }

    #[test]
    fn plain_http_is_allowed_only_on_loopback() {
        assert!(config("127.0.0.1:8700", false).check().is_ok());
        assert!(config("[::1]:8700", false).check().is_ok());
        let refused = config("0.0.0.0:8700", false).check().unwrap_err();
        assert!(refused.to_string().contains("TLS"), "{refused}");
        assert!(config("0.0.0.0:8700", true).check().is_ok());
    }

    #[test]
    fn half_a_tls_pair_is_refused_naming_the_missing_file() {
        let mut half = config("0.0.0.0:8700", false);
        half.set_tls(Some("cert.pem".into()), None);
        assert!(half.check().unwrap_err().to_string().contains("key"));
    }

    #[test]
    fn file_then_environment_override_the_defaults() {
        let mut config = Config::for_data_dir(Path::new("/tmp/branch"));
        let file: ConfigFile = toml::from_str(
            "listen = \"127.0.0.1:9000\"\nmax_body_bytes = 1000\nmax_connections = 8\nheader_timeout_seconds = 2\n",
        )
        .unwrap();
        config.apply_file(&file).unwrap();
        assert_eq!(config.listen.port(), 9000);
        config
            .apply_env(|name| (name == "PLKK_BRANCH_LISTEN").then(|| "127.0.0.1:9100".to_owned()))
            .unwrap();
        assert_eq!(
            config.listen.port(),
            9100,
            "the environment wins over the file"
        );
        assert_eq!(config.max_body_bytes, 1000);
        assert_eq!(config.max_connections, 8);
        assert_eq!(config.header_timeout, Duration::from_secs(2));
        assert_eq!(
            config.idle_timeout,
            Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECONDS)
        );
        assert!(
            toml::from_str::<ConfigFile>("lisen = \"x\"").is_err(),
            "typos are refused"
        );
    }
}
