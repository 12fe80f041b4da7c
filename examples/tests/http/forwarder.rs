//! A TCP forwarder between a server and its PostgreSQL that a case controls: cut, every
//! connection through it ends and each new one is closed as soon as it is taken (the
//! database is gone); restored, it forwards again.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

pub struct Forwarder {
    pub addr: SocketAddr,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    cut: AtomicBool,
    stopped: AtomicBool,
    /// Both ends of every connection forwarded, to end them at a cut.
    live: Mutex<Vec<TcpStream>>,
}

impl State {
    fn end_all(&self) {
        for stream in self.live.lock().expect("live").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Forwarder {
    /// Forwards a loopback port of its own to `upstream`.
    pub fn start(upstream: SocketAddr) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the forwarder");
        let addr = listener.local_addr().expect("address");
        let state = Arc::new(State::default());
        let accepting = state.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if accepting.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if accepting.cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                {
                    let mut live = accepting.live.lock().expect("live");
                    for s in [&client, &server] {
                        live.push(s.try_clone().expect("clone"));
                    }
                }
                pipe(&client, &server);
                pipe(&server, &client);
            }
        });
        Forwarder { addr, state }
    }

    /// The database becomes unreachable: open connections end, new ones are closed.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        self.state.end_all();
    }

    /// The database is back.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        self.state.end_all();
        // Wake the accept loop so that it sees `stopped`.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copies `from` to `to` on a thread until either end closes, then closes both.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (mut from, mut to) = (
        from.try_clone().expect("clone"),
        to.try_clone().expect("clone"),
    );
    thread::spawn(move || {
        // Ends with the connection, whichever way it ends (a cut resets it).
        let _ = std::io::copy(&mut from, &mut to);
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    });
}
