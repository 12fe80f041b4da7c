//! Starts an example server as a real process on a free loopback port.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::client::{Browser, Resp, send, try_send};

pub const ADMIN_TOKEN: &str = "blackbox-admin-token-0123456789";

/// The vault every server of the suite seals credentials with (`PORTAL_VAULT_KEYS`;
/// a case that needs another, or none, sets it in [`Options::env`]): 32 bytes of 0x5a.
pub const VAULT_KEYS: &str = "blackbox-1:WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=";

/// Which store the server runs on.
#[derive(Clone, Copy, Debug)]
pub enum Db {
    Memory,
    Sqlite,
    Postgres,
}

/// How the server is told its public URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    /// `PORTAL_PUBLIC_URL=https://...` while it listens on plain HTTP (behind a proxy).
    Https,
}

/// What a case changes about how the server is started.
#[derive(Debug, Default)]
pub struct Options {
    /// More environment variables (e.g. `PORTAL_HEADER_TIMEOUT`).
    pub env: Vec<(&'static str, String)>,
    /// PostgreSQL only: the server reaches its database through this address (a
    /// forwarder the case controls) instead of `DATABASE_URL`'s.
    pub postgres_via: Option<SocketAddr>,
    /// PostgreSQL only: this database (another server's) instead of a fresh one.
    pub database: Option<String>,
}

pub struct Server {
    child: Child,
    /// How the server was started, for [`Server::restart`].
    command: Command,
    pub addr: SocketAddr,
    /// The public origin (what links and `Origin` checks use).
    pub origin: String,
    dir: PathBuf,
    pub secure_cookies: bool,
    postgres: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(url) = &self.postgres {
            super::postgres::drop_database(url);
        }
    }
}

/// Now, on the wall clock: what these cases measure is the servers' real timers
/// (timeouts, shutdown bounds), which no injected clock drives.
#[allow(clippy::disallowed_methods)]
pub fn wall_clock() -> Instant {
    Instant::now()
}

/// A name no other run uses.
pub fn unique() -> String {
    use portal_core::random::SecretSource as _;
    let mut b = [0u8; 8];
    portal_core::random::OsSecretSource
        .fill(&mut b)
        .expect("randomness");
    format!("{}_{:016x}", std::process::id(), u64::from_le_bytes(b))
}

/// A loopback port that is free now and that no other server of this run was given:
/// ports are handed out in turn from below the kernel's ephemeral range, so neither a
/// server of a test running beside this one nor a client connection can hold it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        20_000 + u16::try_from(std::process::id() % 8_000).expect("small"),
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    loop {
        let port = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(port < 32_000, "no free port left below the ephemeral range");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

impl Server {
    /// Starts `bin` on `db`; `None` (the case is skipped) for PostgreSQL without `DATABASE_URL`.
    pub fn start(bin: &str, db: Db, scheme: Scheme) -> Option<Server> {
        Self::start_with(bin, db, scheme, &Options::default())
    }

    /// Like [`Server::start`], changed by `options`.
    pub fn start_with(bin: &str, db: Db, scheme: Scheme, options: &Options) -> Option<Server> {
        let dir = std::env::temp_dir().join(format!("portal-blackbox-{}", unique()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let database_url = match db {
            Db::Memory => "memory:".to_owned(),
            Db::Sqlite => format!("sqlite:{}", dir.join("portal.db").display()),
            Db::Postgres => match &options.database {
                Some(url) => url.clone(),
                None => super::postgres::fresh_database()?,
            },
        };
        let postgres = matches!(db, Db::Postgres).then(|| database_url.clone());
        let server_database_url = match options.postgres_via {
            Some(via) => super::postgres::through(&database_url, via),
            None => database_url,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let origin = match scheme {
            Scheme::Http => format!("http://{addr}"),
            Scheme::Https => format!("https://{addr}"),
        };
        let mut command = Command::new(bin);
        command
            .current_dir(&dir)
            .env("PORTAL_ADDR", addr.to_string())
            .env("DATABASE_URL", &server_database_url)
            .env("PORTAL_PUBLIC_URL", &origin)
            .env("PORTAL_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("PORTAL_DEMO", "1")
            .env("PORTAL_VAULT_KEYS", VAULT_KEYS)
            .envs(options.env.iter().map(|(k, v)| (k, v)));
        let child = spawn(&mut command, &dir);
        let mut server = Server {
            child,
            command,
            addr,
            origin,
            dir,
            secure_cookies: scheme == Scheme::Https,
            postgres,
        };
        server.wait_started();
        Some(server)
    }

    /// Waits until the server answers `/healthz`, at most 30 s.
    fn wait_started(&mut self) {
        // 1,500 tries 20 ms apart: about 30 s.
        for _ in 0..1_500 {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the server exited ({status}) while starting on {}: {}",
                    self.addr,
                    self.log()
                );
            }
            if try_send(self.addr, "GET", "/healthz").is_some_and(|r| r.status == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the server did not start on {} within 30 s", self.addr);
    }

    /// Stops the server at once and starts it again as it was, on the same folder,
    /// database and port. What it wrote before goes on in its captured output.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&mut self.command, &self.dir);
        self.wait_started();
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as a service manager stopping the server would.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "SIGTERM could not be sent");
    }

    /// Waits for the server to exit, at most `within`.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let step = Duration::from_millis(20);
        for _ in 0..(within.as_millis() / step.as_millis()).max(1) {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                return status;
            }
            std::thread::sleep(step);
        }
        panic!("the server did not exit within {within:?}: {}", self.log());
    }

    /// What the server wrote to stderr so far (its log).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Everything the server wrote so far, to stdout (its banner) and to stderr.
    pub fn output(&self) -> String {
        let out = std::fs::read_to_string(self.dir.join("server.out")).unwrap_or_default();
        format!("{out}{}", self.log())
    }

    /// The folder the server runs in (its SQLite database, files and demo vault key).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// How many blobs the server keeps in its file storage: its default folder beside
    /// its database (`portal-files/` beside SQLite, `files/` with PostgreSQL); `None`
    /// on the in-memory store, whose files are in memory too.
    pub fn stored_blobs(&self) -> Option<usize> {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let path = e.path();
                        if path.is_dir() { count(&path) } else { 1 }
                    })
                    .sum()
            })
        }
        (self.postgres.is_some() || self.sqlite_file().exists())
            .then(|| count(&self.dir.join("portal-files")) + count(&self.dir.join("files")))
    }

    /// The server's SQLite file (on [`Db::Sqlite`]).
    pub fn sqlite_file(&self) -> PathBuf {
        self.dir.join("portal.db")
    }

    /// The URL of the server's PostgreSQL database, if it runs on one.
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres.as_deref()
    }

    /// The name of the server's PostgreSQL database, if it runs on one.
    pub fn postgres_database(&self) -> Option<&str> {
        self.postgres
            .as_deref()
            .and_then(|u| u.rsplit_once('/'))
            .map(|(_, name)| name)
    }

    pub fn browser(&self) -> Browser {
        Browser::new(self.addr, &self.origin)
    }

    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-portal_session"
        } else {
            "portal_session"
        }
    }

    pub fn binding_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-portal_login"
        } else {
            "portal_login"
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        send(self.addr, "GET", path, &[], b"")
    }

    /// A staff API call.
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut headers = vec![("Authorization", auth.as_str())];
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        send(
            self.addr,
            method,
            &format!("/admin/api{path}"),
            &headers,
            body.as_bytes(),
        )
    }

    /// A staff API request with a `multipart/form-data` body.
    pub fn admin_upload(&self, path: &str, body: &[u8]) -> Resp {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let content_type = super::client::multipart_type();
        send(
            self.addr,
            "POST",
            &format!("/admin/api{path}"),
            &[("Authorization", &auth), ("Content-Type", &content_type)],
            body,
        )
    }

    pub fn contact_id(&self, email: &str) -> String {
        let list = self.admin("GET", "/contacts", None).json();
        list.as_array()
            .and_then(|l| l.iter().find(|c| c["email"] == email))
            .and_then(|c| c["id"].as_str())
            .unwrap_or_else(|| panic!("no contact {email}"))
            .to_owned()
    }

    pub fn outbox(&self) -> Vec<Value> {
        match self.get("/dev/outbox").json() {
            Value::Array(list) => list,
            other => panic!("outbox: {other}"),
        }
    }

    /// Messages to `to` of `kind` (login, code, invitation, password_link).
    pub fn mail(&self, to: &str, kind: &str) -> Vec<Value> {
        self.outbox()
            .into_iter()
            .filter(|m| m["to"] == to && m["kind"] == kind)
            .collect()
    }

    /// Waits (mail leaves in the background, its code hashed at a low CPU priority:
    /// slow on a busy machine) until `to` has `n` messages of `kind`, at most 15 s.
    pub fn wait_mail(&self, to: &str, kind: &str, n: usize) -> Vec<Value> {
        for _ in 0..750 {
            let m = self.mail(to, kind);
            if m.len() >= n {
                return m;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{to} never got {n} {kind} message(s) in 15 s; outbox: {:?}",
            self.outbox()
        );
    }

    /// Counts `kind` messages to `to` once background jobs have had time to run: when
    /// the count has not changed for half a second (at most five seconds).
    pub fn settled_count(&self, to: &str, kind: &str) -> usize {
        let mut last = self.mail(to, kind).len();
        let mut stable = 0;
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(50));
            let now = self.mail(to, kind).len();
            stable = if now == last { stable + 1 } else { 0 };
            last = now;
            if stable >= 10 {
                break;
            }
        }
        last
    }
}

/// Starts `command` with its stdout and stderr appended to `server.out` and
/// `server.log` in `dir`, so that a restarted server's output follows the first's.
fn spawn(command: &mut Command, dir: &std::path::Path) -> Child {
    let append = |name: &str| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(name))
            .expect("server output")
    };
    command
        .stdout(append("server.out"))
        .stderr(append("server.log"))
        .spawn()
        .expect("start the example server")
}

/// The first link of a message.
pub fn link_of(message: &Value) -> String {
    message["links"][0].as_str().expect("a link").to_owned()
}

/// The path and token of a link such as `http://host/portal/auth/link/TOKEN`.
pub fn path_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    after_scheme
        .find('/')
        .map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
}

pub fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap_or_default().to_owned()
}

/// The 6-digit code in a message's text.
pub fn code_of(message: &Value) -> String {
    let text = message["text"].as_str().unwrap_or_default();
    portal_core::testing::code_in(text).expect("a code")
}
