//! Running the server on a listener the caller bound: plain HTTP (loopback only) or TLS with a
//! certificate and key from PEM files (rustls, ring provider). Shuts down gracefully when the
//! given future resolves.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::http::{router, AppState};
use crate::{BranchError, Config, TlsFiles};

/// How long open connections may finish after shutdown is asked for (TLS).
const GRACE: Duration = Duration::from_secs(10);

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
    let state =
        tokio::task::spawn_blocking(move || AppState::open(&data_dir, max_body_bytes)).await??;
    let app = router(state);
    match &config.tls {
        None => {
            tracing::info!(listen = %config.listen, data_dir = %config.data_dir.display(), "serving plain HTTP (loopback)");
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        Some(files) => {
            let rustls_config = tls_config(files).await?;
            tracing::info!(listen = %config.listen, data_dir = %config.data_dir.display(), "serving HTTPS");
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(GRACE));
            });
            axum_server::from_tcp_rustls(listener.into_std()?, rustls_config)
                .handle(handle)
                .serve(app.into_make_service())
                .await?;
        }
    }
    tracing::info!("server stopped");
    Ok(())
}

async fn tls_config(
    files: &TlsFiles,
) -> Result<axum_server::tls_rustls::RustlsConfig, BranchError> {
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
    server_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(server_config),
    ))
}
