//! The embedded DynamoDB: dynoxide, in-process, speaking DynamoDB's wire protocol on a local port.

use std::path::Path;

use dynoxide::Database;
use tokio::net::TcpListener;

/// Opens the SQLite-backed database under `data_dir`, creating the directory if needed.
pub fn open_persistent(data_dir: &Path) -> Result<Database, String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    let path = data_dir.join("dynamodb.sqlite");
    Database::new(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// Serves `db` on `listener` in the background; returns the endpoint URL.
pub fn spawn(listener: TcpListener, db: Database) -> Result<String, String> {
    let address = listener
        .local_addr()
        .map_err(|e| format!("embedded DynamoDB has no address: {e}"))?;
    tokio::spawn(async move {
        if let Err(e) =
            dynoxide::server::serve_with_shutdown(listener, db, std::future::pending()).await
        {
            eprintln!("embedded DynamoDB stopped: {e}");
        }
    });
    Ok(format!("http://{address}"))
}
