//! A fresh PostgreSQL database per server, on the server at `DATABASE_URL`.

use std::net::{SocketAddr, ToSocketAddrs as _};

use sqlx::Connection as _;

/// Creates an empty database on the `DATABASE_URL` server and returns its URL; `None`
/// without `DATABASE_URL` (the PostgreSQL cases are then skipped).
pub fn fresh_database() -> Option<String> {
    let admin_url = std::env::var("DATABASE_URL").ok()?;
    let name = format!("portal_bb_{}", super::server::unique());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
    });
    let (base, _) = admin_url.rsplit_once('/').expect("a database URL");
    Some(format!("{base}/{name}"))
}

/// Drops a database made by [`fresh_database`].
pub fn drop_database(url: &str) {
    let (Ok(admin_url), Some((_, name))) = (std::env::var("DATABASE_URL"), url.rsplit_once('/'))
    else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    });
}

/// The address of the PostgreSQL server `DATABASE_URL` names (port 5432 if none).
pub fn server_address() -> Option<SocketAddr> {
    let url = std::env::var("DATABASE_URL").ok()?;
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let with_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    with_port.to_socket_addrs().ok()?.next()
}

/// `url` with its host and port replaced by `via`.
pub fn through(url: &str, via: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a database URL");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!("{scheme}://{}{via}/{path}", user.unwrap_or_default())
}

/// Kills (`pg_terminate_backend`) every connection to `database`; how many.
pub fn kill_connections(database: &str) -> u64 {
    let admin_url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to DATABASE_URL");
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(database)
        .execute(&mut conn)
        .await
        .expect("terminate")
        .rows_affected()
    })
}
