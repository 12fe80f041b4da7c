//! A fresh PostgreSQL database per server, on the server at `DATABASE_URL`.

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
