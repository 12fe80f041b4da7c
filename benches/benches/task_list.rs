//! A client's task list at engagement scale (issue 15): 500 tasks of the seven
//! evidence types in 10 phases, on PostgreSQL, each level beside the raw `SELECT`s of
//! the same rows through sqlx on the same pool in the same run.
//!
//! - `raw_select`: the three reads the store makes (the client's tasks in order, their
//!   checklist items, the client's phases), every row fetched, nothing decoded.
//! - `raw_decode`: the same reads, every column of every row decoded by sqlx into an
//!   owned value of its type (text, integer, UUID), by position; nothing parsed
//!   further. What any store on sqlx pays before its own work.
//! - `store`: `Store::phases_and_tasks`: the same reads on one connection, decoded.
//! - `portal`: `Portal::client_tasks` for a logged-in contact (its grant checked,
//!   withdrawn tasks left out) and the progress the pages show.
//! - `http_json`: `GET /portal/api/clients/{id}/tasks` through `PortalWeb::handle`, in
//!   process: the session verified, the list read and written as JSON.
//!
//! Run with: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p
//! portal-benches --bench task_list` (a fresh schema, dropped at the end); add
//! `TASK_LIST_ROUNDS=30` for the levels timed in turn as well (see [`interleaved`]).
//! Without a PostgreSQL `DATABASE_URL` it says it skipped.

// criterion_group! generates undocumented functions; a bench that cannot set up
// should stop loudly.
#![allow(missing_docs, clippy::expect_used)]

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use portal_core::audit::RequestInfo;
use portal_core::evidence::{
    ApprovalRequest, Checklist, Field, FieldKind, Form, Meeting, Question, Video,
};
use portal_core::id::StaffId;
use portal_core::random::{OsSecretSource, SecretSource};
use portal_core::staff::StaffContext;
use portal_core::store::Store;
use portal_core::task::{Evidence, NewTask, Side, TaskStatus};
use portal_core::web::{CookieSecurity, PortalWeb, Request};
use portal_sqlx::PgStore;

const PHASES: usize = 10;
const TASKS: usize = 500;

/// The `i`th task's definition: the seven types in turn.
fn evidence(i: usize) -> Evidence {
    match i % 7 {
        0 => Evidence::Standard,
        1 => Evidence::Question(Question::new("What was this payment for?", None).expect("q")),
        2 => Evidence::Form(
            Form::new(vec![
                Field {
                    name: "turnover".into(),
                    label: "Expected turnover".into(),
                    kind: FieldKind::ShortText { max_chars: 100 },
                    required: true,
                },
                Field {
                    name: "happy".into(),
                    label: "How are we doing?".into(),
                    kind: FieldKind::Rating,
                    required: false,
                },
            ])
            .expect("form"),
        ),
        3 => Evidence::Checklist(
            Checklist::new(&["Payroll", "Invoices", "Receipts", "Contracts"]).expect("list"),
        ),
        4 => Evidence::Approval(
            ApprovalRequest::new("The draft accounts", Some("https://firm.example/draft"))
                .expect("approval"),
        ),
        5 => Evidence::Meeting(
            Meeting::new(
                "2027-01-11T10:00+01:00",
                "Europe/Vienna",
                45,
                "https://meet.example/x",
            )
            .expect("meeting"),
        ),
        _ => Evidence::Training(
            Video::parse("https://www.youtube.com/watch?v=dQw4w9WgXcQ").expect("video"),
        ),
    }
}

fn bench(c: &mut Criterion) {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => {
            eprintln!("SKIPPED task_list: set DATABASE_URL to a PostgreSQL URL");
            return;
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut name = [0u8; 6];
    OsSecretSource.fill(&mut name).expect("random");
    let suffix: String = name.iter().map(|b| format!("{b:02x}")).collect();
    let schema = format!("portal_bench_{suffix}");

    let options = sqlx::postgres::PgConnectOptions::from_str(&url)
        .expect("url")
        .options([("search_path", schema.as_str())]);
    let pool = rt.block_on(async {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .expect("connect");
        sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
            .execute(&pool)
            .await
            .expect("schema");
        pool
    });
    let store = PgStore::from_pool(pool.clone());
    rt.block_on(store.migrate()).expect("migrate");
    let store: Arc<dyn Store> = Arc::new(store);

    let (web, portal, client, cookie, auth) = rt.block_on(async {
        let p = portal_benches::populate(store.clone(), 1).await;
        let staff = StaffContext {
            firm: p.firm,
            staff: StaffId::new("bench").expect("id"),
            request: RequestInfo::default(),
        };
        for i in 0..TASKS {
            let new = NewTask {
                phase: Some(format!("Phase {}", i * PHASES / TASKS + 1)),
                title: format!("Task {i}"),
                description: "Please have a look at this before the end of the month.".into(),
                due_on: None,
                assignee: if i % 5 == 4 { Side::Firm } else { Side::Client },
                evidence: evidence(i),
            };
            let task = p
                .portal
                .create_task(&staff, p.client, new)
                .await
                .expect("task");
            // A third done, checklists half checked: the list holds every kind of row.
            if i % 3 == 0 && i % 7 != 3 {
                p.portal
                    .set_task_status(&staff, task.id, TaskStatus::Completed)
                    .await
                    .expect("status");
            }
            if i % 7 == 3 {
                for item in [0, 2] {
                    p.portal
                        .staff_check_item(&staff, task.id, item, true)
                        .await
                        .expect("check");
                }
            }
        }
        let link = p
            .portal
            .generate_magic_link(&staff, p.contacts[0])
            .await
            .expect("link");
        let token = link.rsplit('/').next().expect("token").to_owned();
        let login = p
            .portal
            .redeem_magic_link(p.firm, &token, None, None, &RequestInfo::default())
            .await
            .expect("login");
        let cookie = login.token.expose_secret().to_owned();
        let auth = p
            .portal
            .authenticate(p.firm, &cookie, &RequestInfo::default())
            .await
            .expect("auth");
        let web = PortalWeb::builder(p.portal.clone(), p.firm)
            .cookies(CookieSecurity::InsecureLocalDevelopment)
            .build()
            .await
            .expect("web");
        (
            web,
            p.portal,
            p.client,
            format!("portal_session={cookie}"),
            auth,
        )
    });
    let listed = rt
        .block_on(portal.client_tasks(&auth, client))
        .expect("list");
    assert_eq!((listed.tasks.len(), listed.phases.len()), (TASKS, PHASES));

    let tiers = Tiers {
        pool: pool.clone(),
        store,
        portal,
        web,
        auth,
        client,
        path: format!("/portal/api/clients/{client}/tasks"),
        cookie,
    };
    let mut group = c.benchmark_group("task_list_500/postgres");
    for (name, tier) in TIERS {
        group.bench_function(name, |b| b.to_async(&rt).iter(|| tiers.run(tier)));
    }
    group.finish();
    if let Some(rounds) = std::env::var("TASK_LIST_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        rt.block_on(interleaved(&tiers, rounds));
    }

    rt.block_on(async {
        let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
        let _ = sqlx::raw_sql(&drop).execute(&pool).await;
    });
}

/// The levels measured, each doing the work of the one before it and more.
#[derive(Clone, Copy)]
enum Tier {
    RawSelect,
    RawDecode,
    Store,
    Portal,
    HttpJson,
}

const TIERS: [(&str, Tier); 5] = [
    ("raw_select", Tier::RawSelect),
    ("raw_decode", Tier::RawDecode),
    ("store", Tier::Store),
    ("portal", Tier::Portal),
    ("http_json", Tier::HttpJson),
];

/// What every level needs, set up once.
struct Tiers {
    pool: sqlx::PgPool,
    store: Arc<dyn Store>,
    portal: portal_core::Portal,
    web: PortalWeb,
    auth: portal_core::Authenticated,
    client: portal_core::id::ClientId,
    path: String,
    cookie: String,
}

/// Every column of `rows` as an owned value of its type, as a store would take it.
fn decode_all(rows: &[sqlx::postgres::PgRow]) -> usize {
    use sqlx::{Column, Row, TypeInfo};
    let mut decoded = 0;
    for row in rows {
        for (i, column) in row.columns().iter().enumerate() {
            decoded += match column.type_info().name() {
                "UUID" => usize::from(row.try_get::<Option<sqlx::types::Uuid>, _>(i).is_ok()),
                "INT8" => usize::from(row.try_get::<Option<i64>, _>(i).is_ok()),
                "BYTEA" => usize::from(row.try_get::<Option<Vec<u8>>, _>(i).is_ok()),
                _ => row
                    .try_get::<Option<String>, _>(i)
                    .map_or(0, |t| t.map_or(0, |t| t.len())),
            };
        }
    }
    decoded
}

impl Tiers {
    async fn run(&self, tier: Tier) {
        match tier {
            Tier::RawSelect | Tier::RawDecode => {
                let id = self.client.as_uuid();
                let mut c = self.pool.acquire().await.expect("conn");
                let tasks = sqlx::query(
                    "SELECT * FROM portal_tasks WHERE client_id = $1 ORDER BY position, id",
                )
                .bind(id)
                .fetch_all(&mut *c)
                .await
                .expect("tasks");
                let items = sqlx::query(
                    "SELECT * FROM portal_checklist_items WHERE task_id IN \
                     (SELECT id FROM portal_tasks WHERE client_id = $1)",
                )
                .bind(id)
                .fetch_all(&mut *c)
                .await
                .expect("items");
                let phases = sqlx::query(
                    "SELECT * FROM portal_phases WHERE client_id = $1 ORDER BY position, id",
                )
                .bind(id)
                .fetch_all(&mut *c)
                .await
                .expect("phases");
                if matches!(tier, Tier::RawDecode) {
                    black_box(decode_all(&tasks) + decode_all(&items) + decode_all(&phases));
                }
                black_box((tasks.len(), items.len(), phases.len()));
            }
            Tier::Store => {
                let list = self.store.phases_and_tasks(self.client).await;
                black_box(list.expect("list"));
            }
            Tier::Portal => {
                let list = self.portal.client_tasks(&self.auth, self.client).await;
                black_box(list.expect("list").progress());
            }
            Tier::HttpJson => {
                let req = Request::new("GET", &self.path).header("cookie", &self.cookie);
                let res = self.web.handle(req).await;
                assert_eq!(res.status, 200);
                black_box(res);
            }
        }
    }
}

/// With `TASK_LIST_ROUNDS=N`: N rounds, each timing 40 calls of every level in turn,
/// so that a machine whose load drifts slows all levels of a round alike; prints each
/// level's median time per call and the median, round by round, of its ratio to the
/// raw `SELECT`s.
#[allow(clippy::disallowed_methods)] // timing is this function's whole purpose
async fn interleaved(tiers: &Tiers, rounds: usize) {
    const CALLS: u32 = 40;
    let mut times = vec![Vec::new(); TIERS.len()];
    for _ in 0..rounds {
        for (i, (_, tier)) in TIERS.iter().enumerate() {
            let start = std::time::Instant::now();
            for _ in 0..CALLS {
                tiers.run(*tier).await;
            }
            times[i].push(start.elapsed().as_secs_f64() * 1e3 / f64::from(CALLS));
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 4], v[v.len() / 2], v[v.len() * 3 / 4])
    };
    for (i, (name, _)) in TIERS.iter().enumerate() {
        let ratios = times[i]
            .iter()
            .zip(&times[0])
            .map(|(t, raw)| t / raw)
            .collect();
        let (_, ms, _) = median(times[i].clone());
        let (q1, r, q3) = median(ratios);
        println!("interleaved {name}: {ms:.3} ms per call, {r:.2} x raw ({q1:.2}-{q3:.2})");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
