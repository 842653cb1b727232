//! A Unix-socket forwarder to the Docker daemon that a test can cut and restore: it plays a
//! daemon that stops and comes back, without stopping the dockerd other tests and servers share.
//!
//! Cutting it removes the socket (new connections are refused, as with a stopped daemon) and
//! closes every forwarded connection (attachments and requests in flight break, as when dockerd
//! dies). The containers themselves live on, unlike in a real restart; a warm container whose
//! attachment is closed ends by itself (its standard input reaches end of file).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinSet;

/// A forwarder from [`DockerProxy::socket`] to a daemon's socket.
pub struct DockerProxy {
    socket: PathBuf,
    daemon: PathBuf,
    /// The accept loop and every forwarded connection, while up.
    tasks: Arc<Mutex<Option<JoinSet<()>>>>,
}

impl DockerProxy {
    /// A proxy that will listen on `socket` and forward to `daemon`; it starts cut.
    pub fn new(socket: impl Into<PathBuf>, daemon: impl Into<PathBuf>) -> DockerProxy {
        DockerProxy {
            socket: socket.into(),
            daemon: daemon.into(),
            tasks: Arc::new(Mutex::new(None)),
        }
    }

    /// The socket clients connect to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Starts forwarding (again).
    pub fn restore(&self) -> std::io::Result<()> {
        self.cut();
        let listener = UnixListener::bind(&self.socket)?;
        let daemon = self.daemon.clone();
        let shared = Arc::clone(&self.tasks);
        // The set is in place before the accept loop can run: a client arriving at once must
        // find it (finding none means "cut", and the loop would end for good).
        let mut slot = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let tasks = slot.insert(JoinSet::new());
        tasks.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let daemon = daemon.clone();
                let forward = async move {
                    if let Ok(mut upstream) = UnixStream::connect(&daemon).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                };
                // Registered with the others so that a cut closes this connection too.
                match shared.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                    Some(set) => {
                        set.spawn(forward);
                    }
                    None => return,
                }
            }
        });
        drop(slot);
        Ok(())
    }

    /// Stops forwarding: the socket disappears and every open connection is closed.
    pub fn cut(&self) {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner()).take();
        // Dropping a JoinSet aborts its tasks, which drops (closes) their streams.
        drop(tasks);
        let _ = std::fs::remove_file(&self.socket);
    }
}

impl Drop for DockerProxy {
    fn drop(&mut self) {
        self.cut();
    }
}
