//! Firms found by the key the host chooses: made once, given the settings of every
//! start, one firm however many instances start at once.

use super::*;
use crate::firm::{AccentColour, Branding, Firm, FirmKey, FirmSettings, PublicUrl};
use crate::id::{FirmId, StaffId};
use crate::portal::staff::StaffError;
use crate::staff::{Invitation, StaffContext};
use crate::store::StoreError;

/// How often the race below is run: a store whose key does not decide makes two firms
/// in a few tries.
const RACES: usize = 8;

fn settings(name: &str, url: &str) -> FirmSettings {
    FirmSettings {
        name: name.into(),
        public_url: PublicUrl::parse(url).unwrap(),
        branding: Branding::default(),
        mail_from: None,
    }
}

fn staff_of(firm: FirmId) -> StaffContext {
    StaffContext {
        firm,
        staff: StaffId::new("host").unwrap(),
        request: RequestInfo::default(),
    }
}

/// A client and a contact in `firm`, invited (which appends to the firm's audit
/// chain); returns the staff context and the contact's id.
async fn populate(w: &World, firm: FirmId) -> (StaffContext, crate::id::ContactId) {
    let client = w.b.create_client(firm, "Keyed Ltd").await.unwrap();
    let staff = staff_of(firm);
    let contact =
        w.b.invite(
            &staff,
            Invitation {
                email: "kim@example.com".into(),
                first_name: "Kim".into(),
                phone: None,
                client_ids: vec![client.id],
                permissions: Permissions::ALL,
            },
        )
        .await
        .unwrap()
        .contact;
    (staff, contact.id)
}

pub async fn a_firm_is_found_by_its_key_and_takes_the_settings_of_each_start(f: Fixture) {
    let w = World::new(f).await;
    let key = FirmKey::new("acme-keyed").unwrap();
    assert_eq!(w.a.firm_by_key(&key).await.unwrap(), None);
    let first =
        w.a.ensure_firm(&key, settings("Acme Keyed", "https://portal.keyed.example"))
            .await
            .unwrap();
    assert_eq!(first.key.as_ref(), Some(&key));
    assert_eq!(
        (first.name.as_str(), first.public_url.as_str()),
        ("Acme Keyed", "https://portal.keyed.example")
    );
    assert_eq!(first.created_at, START);
    let (staff, kim) = populate(&w, first.id).await;

    // The next start, on the other instance, with every setting changed.
    w.advance(MINUTE);
    let moved = FirmSettings {
        name: "Acme Keyed Ltd".into(),
        public_url: PublicUrl::parse("https://clients.keyed.example/portal-base").unwrap(),
        branding: Branding {
            display_name: "Acme · Clients".into(),
            logo_url: Some("https://cdn.keyed.example/logo.png".into()),
            accent_colour: AccentColour::parse("#123456").unwrap(),
            welcome_message: "Welcome back".into(),
        },
        mail_from: Some(EmailAddress::parse("hello@keyed.example").unwrap()),
    };
    let again = w.b.ensure_firm(&key, moved.clone()).await.unwrap();
    assert_eq!(
        again,
        first.clone().with_settings(moved.clone()),
        "the same firm, created once, with the new settings"
    );
    for p in [&w.a, &w.b] {
        assert_eq!(p.firm_by_key(&key).await.unwrap().as_ref(), Some(&again));
        assert_eq!(p.firm(first.id).await.unwrap(), again);
    }
    // The new public URL takes effect with no other step: links are built from it.
    let link = w.a.generate_magic_link(&staff, kim).await.unwrap();
    assert!(
        link.starts_with("https://clients.keyed.example/portal-base/"),
        "{link}"
    );
    // Starting again with the same settings changes nothing.
    assert_eq!(w.a.ensure_firm(&key, moved).await.unwrap(), again);
    assert_eq!(w.a.verify_audit_chain(first.id).await.unwrap(), Ok(()));

    // The key is the firm's for good: no other firm takes it, an update keeps it.
    let s = w.a.store();
    let taken = Firm {
        id: FirmId::generate(w.a.secrets()).unwrap(),
        ..again.clone()
    };
    assert!(matches!(
        s.insert_firm(&taken).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        s.update_firm(&Firm {
            key: None,
            name: "Renamed".into(),
            ..again.clone()
        })
        .await
        .unwrap()
    );
    let renamed = s.firm_by_key(&key).await.unwrap().unwrap();
    assert_eq!((renamed.id, renamed.name.as_str()), (again.id, "Renamed"));

    // Firms made by id have no key and are untouched.
    assert_eq!(w.firm.key, None);
    assert_eq!(s.firm(w.firm.id).await.unwrap().as_ref(), Some(&w.firm));
    let other = FirmKey::new("acme-keyed.other").unwrap();
    assert_eq!(w.b.firm_by_key(&other).await.unwrap(), None);
}

pub async fn instances_starting_at_once_with_one_key_make_one_firm(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    for round in 0..RACES {
        let key = FirmKey::new(&format!("raced-{round}")).unwrap();
        let starts: Vec<_> = (0..4)
            .map(|i| {
                let (w, key) = (w.clone(), key.clone());
                tokio::spawn(async move {
                    let p = if i % 2 == 0 { &w.a } else { &w.b };
                    let name = format!("Instance {i}");
                    let firm = p
                        .ensure_firm(&key, settings(&name, "https://raced.example"))
                        .await;
                    (name, firm)
                })
            })
            .collect();
        let mut firms = Vec::new();
        for start in starts {
            let (name, firm) = start.await.unwrap();
            let firm = firm.unwrap_or_else(|e| panic!("round {round}: {e:?}"));
            // Each start gets the firm with the settings it gave.
            assert_eq!(firm.name, name, "round {round}");
            firms.push(firm);
        }
        let stored = w.a.firm_by_key(&key).await.unwrap().expect("the firm");
        for firm in &firms {
            assert_eq!(
                (firm.id, firm.created_at),
                (stored.id, stored.created_at),
                "one firm, round {round}"
            );
        }
        assert!(
            firms.iter().any(|f| f.name == stored.name),
            "the last settings written, round {round}"
        );
        // The firm is whole: its audit chain takes entries and holds.
        populate(&w, stored.id).await;
        assert_eq!(w.a.verify_audit_chain(stored.id).await.unwrap(), Ok(()));
    }
}

pub async fn invalid_firm_settings_are_refused_and_write_nothing(f: Fixture) {
    let w = World::new(f).await;
    let key = FirmKey::new("refused").unwrap();
    let bad_name = FirmSettings {
        name: "Acme\u{1b}[2J".into(),
        ..settings("Acme", "https://refused.example")
    };
    let bad_logo = FirmSettings {
        branding: Branding {
            logo_url: Some("javascript:alert(1)".into()),
            ..Branding::default()
        },
        ..settings("Acme", "https://refused.example")
    };
    let field = |r: Result<Firm, StaffError>| match r {
        Err(StaffError::Text(e)) => e.field,
        other => panic!("expected a refused text, got {other:?}"),
    };
    assert_eq!(field(w.a.ensure_firm(&key, bad_name.clone()).await), "name");
    assert_eq!(
        field(w.a.ensure_firm(&key, bad_logo.clone()).await),
        "logo_url"
    );
    assert_eq!(w.a.firm_by_key(&key).await.unwrap(), None, "nothing made");

    let made =
        w.a.ensure_firm(&key, settings("Acme", "https://refused.example"))
            .await
            .unwrap();
    for bad in [bad_name, bad_logo] {
        assert!(w.b.ensure_firm(&key, bad).await.is_err());
        assert_eq!(
            w.a.firm_by_key(&key).await.unwrap().as_ref(),
            Some(&made),
            "nothing changed"
        );
    }
}
