//! The audit chain and housekeeping.

use super::*;

fn draft(w: &World, i: usize) -> AuditDraft {
    AuditDraft {
        firm_id: w.firm.id,
        at: START + Duration::from_millis(i as u64),
        actor: Actor::Staff(crate::id::StaffId::new(format!("staff-{i}")).unwrap()),
        action: AuditAction::GrantChanged,
        contact_id: Some(w.jane.id),
        client_id: None,
        task_id: None,
        request: RequestInfo::new(Some([192, 0, 2, (i % 250) as u8].into()), Some("race")),
        outcome: AuditOutcome::Success,
        detail: format!("n={i}"),
    }
}

pub async fn audit_chain_holds_under_concurrent_appends(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                let s = if i % 2 == 0 { w.a.store() } else { w.b.store() };
                s.append_audit(draft(&w, i)).await.unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
    assert_eq!(
        w.a.verify_audit_chain(w.other_firm.id).await.unwrap(),
        Ok(())
    );
    let events =
        w.a.store()
            .audit_events(w.firm.id, None, 0, 100_000)
            .await
            .unwrap();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "contiguous sequence");
    }
}

pub async fn audit_entries_round_trip(f: Fixture) {
    let w = World::new(f).await;
    let mut d = draft(&w, 7);
    d.request = RequestInfo::new(
        Some("2001:db8::1".parse().unwrap()),
        Some("Mozilla/5.0 (ünïcode)"),
    );
    d.outcome = AuditOutcome::Refused;
    let appended = w.b.store().append_audit(d.clone()).await.unwrap();
    let read =
        w.a.store()
            .audit_events(w.firm.id, Some(w.jane.id), appended.seq - 1, 10)
            .await
            .unwrap();
    assert_eq!(read, vec![appended.clone()]);
    assert_eq!(read[0].entry, d);
    let head = w.a.store().audit_head(w.firm.id).await.unwrap().unwrap();
    assert_eq!((head.seq, head.hash), (appended.seq, appended.hash));
    // Filtering by contact keeps other contacts' entries out.
    let bob =
        w.a.store()
            .audit_events(w.firm.id, Some(w.bob.id), 0, 1000)
            .await
            .unwrap();
    assert!(bob.iter().all(|e| e.entry.contact_id == Some(w.bob.id)));
    assert!(!bob.is_empty());
}

pub async fn purge_removes_expired_rows_in_batches(f: Fixture) {
    let w = World::new(f).await;
    let old = w.login(w.jane.id).await;
    w.link(w.bob.id).await;
    w.code("jane@example.com").await;
    let s = w.a.store();
    s.throttle_hit(
        &TokenDigest::of(b"purge"),
        RateLimit::new(5, 15 * MINUTE),
        START,
    )
    .await
    .unwrap();
    w.advance(Duration::from_secs(31 * 86_400));
    let fresh = w.login(w.bob.id).await;
    let mut total = 0;
    loop {
        let report = s.purge_expired(w.a.now(), Duration::ZERO, 1).await.unwrap();
        total += report.removed;
        if !report.more {
            break;
        }
    }
    assert!(
        total >= 4,
        "expired session, links, challenge, throttle hit: {total}"
    );
    assert!(s.session(&old.token.digest()).await.unwrap().is_none());
    assert!(
        s.session(&fresh.token.digest()).await.unwrap().is_some(),
        "live rows stay"
    );
    assert_eq!(
        s.purge_expired(w.a.now(), Duration::ZERO, 100)
            .await
            .unwrap()
            .removed,
        0
    );
    assert_eq!(
        w.a.verify_audit_chain(w.firm.id).await.unwrap(),
        Ok(()),
        "audit entries are never purged"
    );
}
