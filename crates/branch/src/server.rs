//! Running the server on a listener the caller bound: plain HTTP (loopback only) or TLS with a
//! certificate and key from PEM files (rustls, ring provider), each connection under the limits
//! of `connections` (cap, header, idle and body timeouts). Shuts down gracefully when the given
//! future resolves.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::connections::{self, ConnectionLimits};
use crate::http::{router, AppState};
use crate::{BranchError, Config, TlsFiles};

/// Serves until `shutdown` resolves. The database is opened (and migrated) before the first
/// request is accepted; a configuration that would serve plain HTTP beyond loopback is refused.
pub async fn serve(
    listener: TcpListener,
    mut config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BranchError> {
    config.listen = listener.local_addr()?;
    config.check()?;
    let data_dir = config.data_dir.clone();
    let max_body_bytes = config.max_body_bytes;
    let body_timeout = config.body_timeout;
    let tls = config.tls.is_some();
    let max_document_bytes = config.max_document_bytes;
    let state = tokio::task::spawn_blocking(move || {
        AppState::open(&data_dir, max_body_bytes, body_timeout, tls)
            .map(|state| state.with_max_document_bytes(max_document_bytes))
    })
    .await??;
    let app = router(state);
    let file_limit = connections::open_file_limit();
    let max_connections = connections::connection_cap(config.max_connections, file_limit);
    if max_connections < config.max_connections {
        tracing::warn!(
            wanted = config.max_connections,
            max_connections,
            open_file_limit = file_limit,
            "max_connections lowered to stay below the open-file limit; raise LimitNOFILE"
        );
    }
    let limits = ConnectionLimits {
        max_connections,
        header_timeout: config.header_timeout,
        body_timeout: config.body_timeout,
        idle_timeout: config.idle_timeout,
    };
    let tls = match &config.tls {
        None => None,
        Some(files) => Some(tls_acceptor(files).await?),
    };
    tracing::info!(
        listen = %config.listen,
        data_dir = %config.data_dir.display(),
        tls = tls.is_some(),
        max_connections,
        header_timeout_seconds = limits.header_timeout.as_secs(),
        body_timeout_seconds = limits.body_timeout.as_secs(),
        idle_timeout_seconds = limits.idle_timeout.as_secs(),
        "serving"
    );
    connections::serve(listener, app, tls, limits, shutdown).await;
    tracing::info!("server stopped");
    Ok(())
}

async fn tls_acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, BranchError> {
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path).map_err(|source| BranchError::Tls {
            message: format!("cannot read the {what} {}", path.display()),
            source: Some(source),
        })
    };
    let cert_pem = read(&files.cert, "certificate")?;
    let key_pem = read(&files.key, "private key")?;
    let invalid = |message: String| BranchError::Tls {
        message,
        source: None,
    };
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            invalid(format!(
                "{}: not a PEM certificate chain: {error}",
                files.cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "{}: holds no certificate",
            files.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| {
        invalid(format!(
            "{}: not a PEM private key: {error}",
            files.key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| invalid(format!("TLS versions: {error}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| {
            invalid(format!(
                "the certificate and key do not make a TLS identity: {error}"
            ))
        })?;
    // HTTP/1.1 only: its header timeout is what keeps slow clients from holding connections.
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server_config)))
}
