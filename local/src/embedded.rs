//! The embedded DynamoDB: dynoxide, in-process, speaking DynamoDB's wire protocol on a local port.

use std::path::Path;

use dynoxide::Database;
use tokio::net::TcpListener;

/// The embedded DynamoDB's file in a data directory.
pub const DATABASE_FILE: &str = "dynamodb.sqlite";

/// Opens the SQLite-backed database under `data_dir`, creating the directory if needed.
pub fn open_persistent(data_dir: &Path) -> Result<Database, String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    let path = data_dir.join(DATABASE_FILE);
    Database::new(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// The database `serve` made under `data_dir`, for an admin command: never made here, so a
/// command run in the wrong directory says so instead of answering from an empty table.
pub fn open_existing(data_dir: &Path) -> Result<Database, String> {
    let path = data_dir.join(DATABASE_FILE);
    if !path.is_file() {
        return Err(missing_from_data_dir(data_dir, DATABASE_FILE));
    }
    Database::new(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// Why an admin command refuses to run without what `serve` keeps in its data directory: where it
/// looked (as an absolute path: the default is relative to where the command runs) and how to
/// point it at the server's. Only `serve` makes a data directory, its database and its keys.
pub fn missing_from_data_dir(data_dir: &Path, file: &str) -> String {
    let shown = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    format!(
        "no {file} in {}: admin commands never make a data directory or a key. Run this where \
         `image-sources serve` runs (its data directory is .image-sources there), or pass \
         --data-dir with the server's data directory",
        shown.display()
    )
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
