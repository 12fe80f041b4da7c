//! Contacts, grants and personal links: who may get in, and to what.

use super::*;

pub async fn suspended_contact_is_refused_at_next_verification(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    let token = w.link(w.jane.id).await;
    w.b.suspend_contact(&w.staff, w.jane.id).await.unwrap();
    assert!(matches!(
        w.a.authenticate(w.firm.id, &cookie, &req()).await,
        Err(SessionError::NotLoggedIn)
    ));
    let r =
        w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await;
    assert_eq!(
        link_problem(r),
        LinkProblem::Superseded,
        "outstanding links die with the suspension"
    );
    assert!(
        w.a.generate_magic_link(&w.staff, w.jane.id).await.is_err(),
        "no links while suspended"
    );
    // Lifting needs no new invitation.
    w.a.lift_suspension(&w.staff, w.jane.id).await.unwrap();
    w.login(w.jane.id).await;
}

pub async fn revoked_contact_needs_a_new_invitation(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    w.a.revoke_contact(&w.staff, w.bob.id).await.unwrap();
    assert!(w.a.authenticate(w.firm.id, &cookie, &req()).await.is_err());
    assert!(
        w.a.lift_suspension(&w.staff, w.bob.id).await.is_err(),
        "revocation is not a suspension"
    );
    // An address of a revoked contact asks for links in vain.
    w.a.request_login_link(w.firm.id, "bob@example.com", None, &req())
        .await
        .unwrap();
    w.a.settle().await;
    assert!(
        w.outbox.last_to("bob@example.com").unwrap().message.kind
            != crate::notify::MessageKind::Login
    );
    let again = crate::staff::Invitation {
        email: "bob@example.com".into(),
        first_name: "Bob".into(),
        phone: None,
        client_ids: vec![w.client1.id],
        permissions: Permissions::ALL,
    };
    w.a.invite(&w.staff, again).await.unwrap();
    w.login(w.bob.id).await;
}

pub async fn revocation_takes_the_grants_and_the_password(f: Fixture) {
    let w = World::new(f).await;
    w.a.send_password_link(&w.staff, w.jane.id).await.unwrap();
    let token = super::passwords::password_link(&w, "jane@example.com").await;
    w.a.set_password(w.firm.id, &token, "lantern meadow quietly 42", &req())
        .await
        .unwrap();
    w.a.revoke_contact(&w.staff, w.jane.id).await.unwrap();
    let s = w.a.store();
    assert!(s.grants(w.jane.id).await.unwrap().is_empty());
    assert_eq!(s.password_hash(w.jane.id).await.unwrap(), None);
    let again = crate::staff::Invitation {
        email: "jane@example.com".into(),
        first_name: "Jane".into(),
        phone: None,
        client_ids: vec![w.client2.id],
        permissions: Permissions::ALL,
    };
    w.b.invite(&w.staff, again).await.unwrap();
    assert_eq!(
        s.grants(w.jane.id)
            .await
            .unwrap()
            .iter()
            .map(|g| g.client_id)
            .collect::<Vec<_>>(),
        [w.client2.id],
        "the new invitation gives exactly the access it names"
    );
    assert_eq!(w.login(w.jane.id).await.session.active_client, w.client2.id);
}

pub async fn status_changes_never_undo_a_suspension_or_a_revocation(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    let status = |id| async move { s.contact(id).await.unwrap().unwrap().status };
    let audit = |action, contact| AuditDraft {
        firm_id: w.firm.id,
        at: START,
        actor: Actor::Staff(w.staff.staff.clone()),
        action,
        contact_id: Some(contact),
        client_id: None,
        task_id: None,
        request: req(),
        outcome: AuditOutcome::Success,
        detail: String::new(),
    };
    // An invitation does not lift a suspension, and writes nothing.
    w.a.suspend_contact(&w.staff, w.bob.id).await.unwrap();
    let to_client2 = crate::staff::Invitation {
        email: "bob@example.com".into(),
        first_name: "Bob".into(),
        phone: None,
        client_ids: vec![w.client2.id],
        permissions: Permissions::ALL,
    };
    assert!(matches!(
        w.b.invite(&w.staff, to_client2).await,
        Err(crate::portal::staff::StaffError::Suspended)
    ));
    assert_eq!(status(w.bob.id).await, ContactStatus::Suspended);
    assert_eq!(s.grants(w.bob.id).await.unwrap().len(), 1);
    // The store checks it in the operation that records the invitation, so that a
    // suspension racing an invitation is never lifted by it.
    let record = |client: crate::id::ClientId| crate::staff::InvitationRecord {
        candidate: crate::contact::Contact {
            id: crate::id::ContactId::from_bytes([7; 16]),
            status: ContactStatus::Active,
            invited_at: None,
            ..w.bob.clone()
        },
        grants: vec![(client, Permissions::ALL)],
        at: START,
    };
    let entries = |c: &crate::contact::Contact| vec![audit(AuditAction::Invited, c.id)];
    let invited = s.invite(&record(w.client2.id), &entries).await.unwrap();
    assert_eq!(invited, crate::staff::Invited::Suspended);
    let unknown_client = crate::id::ClientId::from_bytes([9; 16]);
    let invited = s.invite(&record(unknown_client), &entries).await.unwrap();
    assert_eq!(
        invited,
        crate::staff::Invited::Suspended,
        "the status first"
    );
    assert_eq!(status(w.bob.id).await, ContactStatus::Suspended);
    assert_eq!(s.grants(w.bob.id).await.unwrap().len(), 1);
    assert_eq!(
        w.audit(AuditAction::Invited).await.len(),
        2,
        "jane's and bob's first"
    );
    // Suspending again changes nothing.
    w.b.suspend_contact(&w.staff, w.bob.id).await.unwrap();
    // A revocation landing between a lift's read and its write is not undone: the
    // store checks the status it moves from in the same step as the write.
    w.a.revoke_contact(&w.staff, w.bob.id).await.unwrap();
    assert!(
        !s.set_contact_status(
            w.bob.id,
            ContactStatus::Active,
            Some(ContactStatus::Suspended),
            audit(AuditAction::ContactReinstated, w.bob.id)
        )
        .await
        .unwrap()
    );
    assert_eq!(status(w.bob.id).await, ContactStatus::Revoked);
    // A revoked contact cannot be suspended, which lifting would turn into a way back.
    assert!(w.a.suspend_contact(&w.staff, w.bob.id).await.is_err());
    assert!(w.a.lift_suspension(&w.staff, w.bob.id).await.is_err());
    assert_eq!(status(w.bob.id).await, ContactStatus::Revoked);
    assert!(
        w.audit(AuditAction::ContactReinstated).await.is_empty(),
        "a refused change records nothing"
    );
    // An invitation makes a revoked contact active again, with exactly its grants.
    let crate::staff::Invited::Contact(bob) =
        s.invite(&record(w.client2.id), &entries).await.unwrap()
    else {
        panic!("a revoked contact is invited again");
    };
    assert_eq!((bob.id, bob.status), (w.bob.id, ContactStatus::Active));
    let grants = s.grants(w.bob.id).await.unwrap();
    assert_eq!(
        grants.iter().map(|g| g.client_id).collect::<Vec<_>>(),
        [w.client2.id]
    );
    assert_eq!(w.audit(AuditAction::Invited).await.len(), 3);
}

pub async fn an_invitation_is_recorded_whole_or_not_at_all(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    let email = crate::email::EmailAddress::parse("new.person@example.com").unwrap();
    let record = crate::staff::InvitationRecord {
        candidate: crate::contact::Contact {
            id: crate::id::ContactId::from_bytes([7; 16]),
            email: email.clone(),
            ..w.bob.clone()
        },
        // The second client does not exist: the whole invitation fails.
        grants: vec![
            (w.client1.id, Permissions::ALL),
            (crate::id::ClientId::from_bytes([9; 16]), Permissions::ALL),
        ],
        at: START,
    };
    let before = s
        .audit_events(w.firm.id, None, 0, 1000)
        .await
        .unwrap()
        .len();
    let entries = |c: &crate::contact::Contact| {
        vec![AuditDraft {
            firm_id: w.firm.id,
            at: START,
            actor: Actor::Staff(w.staff.staff.clone()),
            action: AuditAction::Invited,
            contact_id: Some(c.id),
            client_id: None,
            task_id: None,
            request: req(),
            outcome: AuditOutcome::Success,
            detail: String::new(),
        }]
    };
    assert!(s.invite(&record, &entries).await.is_err());
    assert_eq!(
        s.contact_by_email(w.firm.id, email.canonical())
            .await
            .unwrap(),
        None
    );
    assert!(s.grants(record.candidate.id).await.unwrap().is_empty());
    assert_eq!(
        s.audit_events(w.firm.id, None, 0, 1000)
            .await
            .unwrap()
            .len(),
        before
    );
}

pub async fn ungrant_ends_sessions_on_that_client(f: Fixture) {
    let w = World::new(f).await;
    let login = w.login(w.jane.id).await;
    let cookie = login.token.expose_secret();
    let active = login.session.active_client;
    w.b.ungrant(&w.staff, w.jane.id, active).await.unwrap();
    assert!(
        w.a.authenticate(w.firm.id, &cookie, &req()).await.is_err(),
        "the next request is refused"
    );
    let login = w.login(w.jane.id).await;
    assert_ne!(
        login.session.active_client, active,
        "lands on the remaining grant"
    );
    // Without any grant, a link starts nothing.
    w.a.ungrant(&w.staff, w.jane.id, login.session.active_client)
        .await
        .unwrap();
    let token = w.link(w.jane.id).await;
    let r =
        w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::ContactUnavailable);
}

pub async fn granted_clients_follow_the_grants(f: Fixture) {
    let w = World::new(f).await;
    let expected = |store: Arc<dyn Store>, contact| async move {
        let mut out = Vec::new();
        for g in store.grants(contact).await.unwrap() {
            out.push((
                store.client(g.client_id).await.unwrap().unwrap(),
                g.permissions,
            ));
        }
        out
    };
    let granted = w.b.store().granted_clients(w.jane.id).await.unwrap();
    assert_eq!(granted.len(), 2, "jane holds two grants");
    assert_eq!(granted, expected(w.a.store().clone(), w.jane.id).await);
    w.a.grant(&w.staff, w.jane.id, w.client2.id, Permissions::TASKS)
        .await
        .unwrap();
    w.a.ungrant(&w.staff, w.jane.id, w.client1.id)
        .await
        .unwrap();
    let granted = w.b.store().granted_clients(w.jane.id).await.unwrap();
    assert_eq!(granted, [(w.client2.clone(), Permissions::TASKS)]);
    assert_eq!(granted, expected(w.a.store().clone(), w.jane.id).await);
    let none = crate::id::ContactId::from_bytes([9; 16]);
    assert!(w.a.store().granted_clients(none).await.unwrap().is_empty());
}

pub async fn merged_contact_switches_only_to_granted_clients(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    let auth = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    let other = if auth.session.active_client == w.client1.id {
        w.client2.id
    } else {
        w.client1.id
    };
    let switched = w.b.switch_client(&auth, other, &req()).await.unwrap();
    assert_eq!(switched.active_client, other);
    let auth = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    assert_eq!(auth.session.active_client, other, "the switch is stored");
    for foreign in [w.other_client.id, crate::id::ClientId::from_bytes([7; 16])] {
        assert!(matches!(
            w.a.switch_client(&auth, foreign, &req()).await,
            Err(SessionError::NotFound)
        ));
    }
    // bob holds one grant only.
    let bob_cookie = w.login(w.bob.id).await.token.expose_secret();
    let bob =
        w.a.authenticate(w.firm.id, &bob_cookie, &req())
            .await
            .unwrap();
    assert!(matches!(
        w.a.switch_client(&bob, w.client2.id, &req()).await,
        Err(SessionError::NotFound)
    ));
}

pub async fn permission_changes_reach_live_sessions(f: Fixture) {
    let w = World::new(f).await;
    let login = w.login(w.bob.id).await;
    assert_eq!(login.session.permissions, Permissions::ALL);
    w.b.grant(&w.staff, w.bob.id, w.client1.id, Permissions::TASKS)
        .await
        .unwrap();
    let auth =
        w.a.authenticate(w.firm.id, &login.token.expose_secret(), &req())
            .await
            .unwrap();
    assert_eq!(auth.session.permissions, Permissions::TASKS);
    // Staff of another firm cannot touch this firm's contacts or grant foreign clients.
    assert!(
        w.a.grant(
            &w.other_staff,
            w.bob.id,
            w.other_client.id,
            Permissions::ALL
        )
        .await
        .is_err()
    );
    assert!(
        w.a.grant(&w.staff, w.bob.id, w.other_client.id, Permissions::ALL)
            .await
            .is_err()
    );
    assert_eq!(w.a.store().grants(w.bob.id).await.unwrap().len(), 1);
}

pub async fn permission_changes_race_logins_and_switches(f: Fixture) {
    let w = World::new(f).await;
    let r = req();
    for round in 0..8 {
        let permissions = if round % 2 == 0 {
            Permissions::TASKS
        } else {
            Permissions::ALL
        };
        let login = w.login(w.jane.id).await;
        let auth =
            w.a.authenticate(w.firm.id, &login.token.expose_secret(), &r)
                .await
                .unwrap();
        let other = if auth.session.active_client == w.client1.id {
            w.client2.id
        } else {
            w.client1.id
        };
        let landing = auth.session.active_client;
        let token = w.link(w.jane.id).await;
        // A switch to `other` while its permissions change, and a login landing on
        // the oldest grant while its permissions change.
        let (switched, redeemed, changed, changed_landing) = tokio::join!(
            w.b.switch_client(&auth, other, &r),
            w.a.redeem_magic_link(w.firm.id, &token, None, None, &r),
            w.b.grant(&w.staff, w.jane.id, other, permissions),
            w.a.grant(&w.staff, w.jane.id, landing, permissions),
        );
        switched.expect("jane holds both grants");
        redeemed.expect("a fresh link");
        changed.unwrap();
        changed_landing.unwrap();
        sessions_match_grants(w.a.store().as_ref(), w.jane.id).await;
    }
}

pub async fn suspensions_and_ungrants_race_logins_and_switches(f: Fixture) {
    let w = World::new(f).await;
    let r = req();
    let store = w.a.store().clone();
    for _ in 0..6 {
        // A switch to client2 while client2's grant is removed.
        let login = w.login(w.jane.id).await;
        let cookie = login.token.expose_secret();
        let auth = w.a.authenticate(w.firm.id, &cookie, &r).await.unwrap();
        let target = if auth.session.active_client == w.client1.id {
            w.client2.id
        } else {
            w.client1.id
        };
        let (_, removed) = tokio::join!(
            w.a.switch_client(&auth, target, &r),
            w.b.ungrant(&w.staff, w.jane.id, target),
        );
        removed.unwrap();
        sessions_match_grants(store.as_ref(), w.jane.id).await;
        if let Ok(auth) = w.a.authenticate(w.firm.id, &cookie, &r).await {
            assert_ne!(auth.session.active_client, target, "no grant, no session");
        }
        w.a.grant(&w.staff, w.jane.id, target, Permissions::ALL)
            .await
            .unwrap();
        // A login while the contact is suspended.
        let token = w.link(w.jane.id).await;
        let (redeemed, suspended) = tokio::join!(
            w.a.redeem_magic_link(w.firm.id, &token, None, None, &r),
            w.b.suspend_contact(&w.staff, w.jane.id),
        );
        suspended.unwrap();
        assert!(
            store.sessions(w.jane.id).await.unwrap().is_empty(),
            "a suspended contact has no session"
        );
        if let Ok(login) = redeemed {
            assert!(
                w.a.authenticate(w.firm.id, &login.token.expose_secret(), &r)
                    .await
                    .is_err()
            );
        }
        w.a.lift_suspension(&w.staff, w.jane.id).await.unwrap();
    }
}

pub async fn personal_link_identifies_but_never_authenticates(f: Fixture) {
    let w = World::new(f).await;
    let url =
        w.a.generate_personal_link(&w.staff, w.jane.id)
            .await
            .unwrap();
    let token = url.rsplit('/').next().unwrap().to_owned();
    assert!(
        w.a.authenticate(w.firm.id, &token, &req()).await.is_err(),
        "not a session"
    );
    let view =
        w.b.open_personal_link(w.firm.id, &token, None)
            .await
            .unwrap();
    assert_eq!(
        view,
        Some(crate::personal_link::PersonalLinkView::OfferLogin {
            masked_email: "j***@example.com".into()
        })
    );
    let view =
        w.b.open_personal_link(w.firm.id, &token, Some(w.jane.id))
            .await
            .unwrap();
    assert_eq!(
        view,
        Some(crate::personal_link::PersonalLinkView::AlreadyLoggedIn)
    );
    assert_eq!(
        w.b.open_personal_link(w.other_firm.id, &token, None)
            .await
            .unwrap(),
        None
    );
    // Asking through it mails the owner's stored address, nobody else.
    let before = w.outbox.entries().len();
    w.a.request_login_link_for_personal_link(w.firm.id, &token, &req())
        .await
        .unwrap();
    w.a.settle().await;
    let sent = &w.outbox.entries()[before..];
    assert!(sent.iter().any(
        |m| m.to() == "jane@example.com" && m.message.kind == crate::notify::MessageKind::Login
    ));
    assert!(sent.iter().all(|m| m.to() == "jane@example.com"));
    w.a.revoke_contact(&w.staff, w.jane.id).await.unwrap();
    assert_eq!(
        w.a.open_personal_link(w.firm.id, &token, None)
            .await
            .unwrap(),
        None,
        "dies with revocation"
    );
}

pub async fn concurrent_invitations_create_one_contact(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                let p = if i % 2 == 0 { &w.a } else { &w.b };
                let email = if i % 3 == 0 {
                    "New.Person@Example.com"
                } else {
                    "new.person@example.COM"
                };
                let inv = crate::staff::Invitation {
                    email: email.into(),
                    first_name: "New".into(),
                    phone: None,
                    client_ids: vec![w.client1.id],
                    permissions: Permissions::ALL,
                };
                p.invite(&w.staff, inv).await.unwrap().contact.id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one contact per canonical address");
    let canon = EmailAddress::parse("NEW.PERSON@example.com").unwrap();
    let found =
        w.a.store()
            .contact_by_email(w.firm.id, canon.canonical())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(found.id, ids[0]);
    assert!(
        w.a.store()
            .contact_by_email(w.other_firm.id, canon.canonical())
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn directory_round_trips(f: Fixture) {
    let w = World::new(f).await;
    let s = w.b.store();
    assert_eq!(s.firm(w.firm.id).await.unwrap().as_ref(), Some(&w.firm));
    let mut firm = w.firm.clone();
    firm.branding.display_name = "Acme <Portal>".into();
    firm.branding.accent_colour = crate::firm::AccentColour::parse("#112233").unwrap();
    firm.branding.logo_url = Some("https://cdn.acme.example/logo.png".into());
    firm.mail_from = Some(EmailAddress::parse("Hello@Acme.example").unwrap());
    assert!(s.update_firm(&firm).await.unwrap());
    assert_eq!(w.a.store().firm(firm.id).await.unwrap(), Some(firm));
    let clients = s.clients(w.firm.id).await.unwrap();
    assert_eq!(
        clients,
        vec![w.client1.clone(), w.client2.clone()],
        "by name"
    );
    let contacts = s.contacts(w.firm.id).await.unwrap();
    assert_eq!(
        contacts
            .iter()
            .map(|c| c.email.as_str())
            .collect::<Vec<_>>(),
        ["bob@example.com", "jane@example.com"]
    );
    let jane = s.contact(w.jane.id).await.unwrap().unwrap();
    assert_eq!(jane.status, ContactStatus::Active);
    assert!(jane.invited_at.is_some() && jane.joined_at.is_none());
    let grants = s.grants(w.jane.id).await.unwrap();
    assert_eq!(
        grants.iter().map(|g| g.client_id).collect::<Vec<_>>(),
        [w.client1.id, w.client2.id],
        "oldest first"
    );
    w.login(w.jane.id).await;
    let jane = s.contact(w.jane.id).await.unwrap().unwrap();
    assert_eq!(jane.joined_at, Some(START));
    assert!(
        s.firm(crate::id::FirmId::from_bytes([9; 16]))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn a_contact_s_phone_is_set_by_staff_and_invitations_and_cleared(f: Fixture) {
    use crate::phone::PhoneNumber;
    use crate::portal::staff::StaffError;
    let w = World::new(f).await;
    let s = w.a.store();
    let phone = |id| async move { s.contact(id).await.unwrap().unwrap().phone };
    let entry = |detail: &str| AuditDraft {
        contact_id: Some(w.jane.id),
        detail: detail.into(),
        ..system_entry(&w, AuditAction::ContactPhoneChanged)
    };
    let london = PhoneNumber::parse("+44 20 7946 0958").unwrap();
    // The store sets it, and the other instance reads it back in E.164 form.
    assert!(
        s.set_contact_phone(w.jane.id, Some(&london), entry("set"))
            .await
            .unwrap()
    );
    let read = w.b.store().contact(w.jane.id).await.unwrap().unwrap();
    assert_eq!(
        read.phone.as_ref().map(PhoneNumber::as_str),
        Some("+442079460958")
    );
    // No contact, no write and no entry.
    let nobody = crate::id::ContactId::from_bytes([7; 16]);
    assert!(
        !s.set_contact_phone(nobody, Some(&london), entry("set"))
            .await
            .unwrap()
    );
    assert_eq!(w.audit(AuditAction::ContactPhoneChanged).await.len(), 1);
    // An invitation without a number keeps the stored one; with one, replaces it.
    let again = |number: Option<&str>| crate::staff::Invitation {
        email: "jane@example.com".into(),
        first_name: "Jane".into(),
        phone: number.map(Into::into),
        client_ids: vec![w.client1.id],
        permissions: Permissions::ALL,
    };
    w.b.invite(&w.staff, again(None)).await.unwrap();
    assert_eq!(phone(w.jane.id).await, Some(london.clone()));
    let summary = w.b.invite(&w.staff, again(Some("+1 (555) 010-0199"))).await;
    let new_york = PhoneNumber::parse("+15550100199").unwrap();
    assert_eq!(summary.unwrap().contact.phone, Some(new_york.clone()));
    assert_eq!(phone(w.jane.id).await, Some(new_york.clone()));
    // A new contact is inserted with its number.
    let new = crate::staff::Invitation {
        email: "new@example.com".into(),
        phone: Some("+33 1 23 45 67 89".into()),
        ..again(None)
    };
    let new = w.a.invite(&w.staff, new).await.unwrap().contact;
    assert_eq!(phone(new.id).await.unwrap().as_str(), "+33123456789");
    // A number that does not parse writes nothing, from staff or an invitation.
    assert!(matches!(
        w.a.set_contact_phone(&w.staff, w.jane.id, Some("0044 20 7946 0958"))
            .await,
        Err(StaffError::Phone(_))
    ));
    assert!(matches!(
        w.a.invite(&w.staff, again(Some("call me"))).await,
        Err(StaffError::Phone(_))
    ));
    assert_eq!(phone(w.jane.id).await, Some(new_york.clone()));
    // Another firm's contact is not found; clearing leaves no number.
    assert!(matches!(
        w.a.set_contact_phone(&w.staff, w.olga.id, Some("+44 20 7946 0958"))
            .await,
        Err(StaffError::NotFound)
    ));
    let cleared = w.b.set_contact_phone(&w.staff, w.jane.id, None).await;
    assert_eq!(cleared.unwrap().contact.phone, None);
    assert_eq!(phone(w.jane.id).await, None);
    // Each change is in the audit log, the number never.
    let details: Vec<String> = w
        .audit(AuditAction::ContactPhoneChanged)
        .await
        .into_iter()
        .map(|e| e.entry.detail)
        .collect();
    assert_eq!(details, ["set", "cleared"]);
    let invited = w.audit(AuditAction::Invited).await;
    assert!(
        invited
            .iter()
            .any(|e| e.entry.detail.ends_with("phone=set"))
    );
    let log = format!(
        "{:?}",
        w.a.audit_log(&w.staff, None, 0, 1000).await.unwrap()
    );
    assert!(!log.contains("7946") && !log.contains("0100199"));
}
