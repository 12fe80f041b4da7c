//! Demo data: a firm with two clients, a contact with access to both (merged, and a
//! phone number), a contact with access to one, and for each client an engagement of three phases with
//! a task of each evidence type (a credential handoff among them: demo mode always
//! has a vault), on both sides, some done and some open.
//! Seeded once; a restart on the same database keeps it.

use portal_core::Portal;
use portal_core::audit::RequestInfo;
use portal_core::clock::Timestamp;
use portal_core::evidence::{
    Amount, ApprovalRequest, BankTransaction, Checklist, CredentialRequest, Currency,
    EvidenceError, Field, FieldKind, FileDrop, Form, Meeting, Problem, Question, SignatureRequest,
    Video,
};
use portal_core::file::FilePurpose;
use portal_core::grant::Permissions;
use portal_core::id::{ClientId, FirmId, StaffId};
use portal_core::staff::{Invitation, StaffContext};
use portal_core::task::{Evidence, NewTask, Side, TaskStatus};

/// The demo contact with grants to both clients.
pub(crate) const MERGED_CONTACT: &str = "jane@example.com";
/// The demo contact with a grant to one client.
pub(crate) const SINGLE_CONTACT: &str = "bob@example.com";
/// The merged contact's phone number: one of the UK's numbers kept for drama, which
/// no subscriber has.
const MERGED_CONTACT_PHONE: &str = "+44 7700 900123";

pub(crate) async fn seed(portal: &Portal, firm: FirmId) -> Result<(), Box<dyn std::error::Error>> {
    if !portal.clients(firm).await?.is_empty() {
        return Ok(());
    }
    let bakery = portal.create_client(firm, "Sunrise Bakery Ltd").await?;
    let garage = portal.create_client(firm, "Northside Garage LLC").await?;
    let staff = StaffContext {
        firm,
        staff: StaffId::new("demo-seed")?,
        request: RequestInfo::default(),
    };
    for (email, name, phone, clients) in [
        (
            MERGED_CONTACT,
            "Jane",
            Some(MERGED_CONTACT_PHONE),
            vec![bakery.id, garage.id],
        ),
        (SINGLE_CONTACT, "Bob", None, vec![garage.id]),
    ] {
        let invitation = Invitation {
            email: email.into(),
            first_name: name.into(),
            phone: phone.map(Into::into),
            client_ids: clients,
            permissions: Permissions::ALL,
        };
        portal.invite(&staff, invitation).await?;
    }
    for client in [&bakery, &garage] {
        seed_engagement(portal, &staff, client.id).await?;
    }
    Ok(())
}

/// A task of the demo, by its place in the engagement.
struct DemoTask {
    phase: &'static str,
    title: &'static str,
    description: &'static str,
    due: Option<&'static str>,
    assignee: Side,
    evidence: Evidence,
}

/// One client's engagement: three phases holding a task of each evidence type, on
/// both sides. The first of the client's tasks is a standard one left open (the
/// black-box tests complete it); the firm's bank feed is done, the reconciliation
/// started, one checklist item checked by the firm; the rest is open.
async fn seed_engagement(
    portal: &Portal,
    staff: &StaffContext,
    client: ClientId,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut ids = Vec::new();
    for t in engagement()? {
        let title = t.title;
        let task = NewTask {
            phase: Some(t.phase.into()),
            title: t.title.into(),
            description: t.description.into(),
            due_on: t.due.and_then(Timestamp::parse_date),
            assignee: t.assignee,
            evidence: t.evidence,
        };
        ids.push((title, portal.create_task(staff, client, task).await?.id));
    }
    let id = |title: &str| {
        ids.iter()
            .find(|(t, _)| *t == title)
            .map(|(_, id)| *id)
            .ok_or_else(|| format!("no demo task {title:?}"))
    };
    portal
        .complete_firm_task(
            staff,
            id("Set up your bank feed")?,
            Some("Connected to the business account."),
        )
        .await?;
    portal
        .staff_check_item(staff, id("Confirm your business details")?, 0, true)
        .await?;
    portal
        .set_task_status(staff, id("Reconcile accounts")?, TaskStatus::InProgress)
        .await?;
    let letter = portal
        .store_bytes("Engagement letter.pdf", demo_pdf("Engagement letter"))
        .await?;
    portal
        .attach_signing_document(staff, id("Sign the engagement letter")?, letter)
        .await?;
    let report = portal
        .store_bytes(
            "Management report, November.pdf",
            demo_pdf("Management report"),
        )
        .await?;
    portal
        .publish_file(staff, client, FilePurpose::Report, report)
        .await?;
    // The firm's side of the conversation: a comment on a task the client is to do.
    portal
        .staff_comment(
            staff,
            id("Upload your November bank statements")?,
            "The PDF statements from your bank's website are best.\nOne file per account is fine.",
        )
        .await?;
    Ok(())
}

/// A small PDF with one page that says `title`: what the demo's documents hold.
fn demo_pdf(title: &str) -> Vec<u8> {
    let text = format!("BT /F1 18 Tf 72 720 Td ({title}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn engagement() -> Result<Vec<DemoTask>, EvidenceError> {
    let eur = Currency::parse("EUR")?;
    let select = |options: &[&str]| options.iter().map(|o| (*o).to_owned()).collect();
    let field = |name: &str, label: &str, kind, required| Field {
        name: name.into(),
        label: label.into(),
        kind,
        required,
    };
    Ok(vec![
        DemoTask {
            phase: "Onboarding",
            title: "Confirm our engagement terms",
            description: "Read and confirm our engagement terms.",
            due: None,
            assignee: Side::Client,
            evidence: Evidence::Standard,
        },
        DemoTask {
            phase: "Onboarding",
            title: "Sign the engagement letter",
            description: "Read the letter, then sign it here.",
            due: None,
            assignee: Side::Client,
            evidence: Evidence::Signature(SignatureRequest::new(None)?),
        },
        DemoTask {
            phase: "Onboarding",
            title: "Hand over your payroll login letter",
            description: "We keep it for seven days, then it is deleted.",
            due: None,
            assignee: Side::Client,
            evidence: Evidence::FileDrop(FileDrop::default()),
        },
        DemoTask {
            phase: "Onboarding",
            title: "Hand over the accounting software's admin login",
            description: "We need it to connect your books. It is encrypted as you send it, \
                          and only we can open it.",
            due: None,
            assignee: Side::Client,
            evidence: Evidence::Credential(CredentialRequest::login()),
        },
        DemoTask {
            phase: "Onboarding",
            title: "Set up your bank feed",
            description: "We connect your business bank account to the books.",
            due: None,
            assignee: Side::Firm,
            evidence: Evidence::Standard,
        },
        DemoTask {
            phase: "Onboarding",
            title: "Confirm your business details",
            description: "Tick each one once it is correct in your welcome pack.",
            due: Some("2026-12-05"),
            assignee: Side::Client,
            evidence: Evidence::Checklist(Checklist::new(&[
                "Registered address",
                "VAT number",
                "Directors and shareholders",
            ])?),
        },
        DemoTask {
            phase: "Onboarding",
            title: "Watch: how your portal works",
            description: "Three minutes on tasks, approvals and progress.",
            due: None,
            assignee: Side::Client,
            evidence: Evidence::Training(Video::parse(
                "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
            )?),
        },
        DemoTask {
            phase: "Onboarding",
            title: "Kick-off call",
            description: "We walk through the year ahead together.",
            due: Some("2026-12-08"),
            assignee: Side::Client,
            evidence: Evidence::Meeting(Meeting::new(
                "2026-12-08T10:00+01:00",
                "Europe/Vienna",
                45,
                "https://meet.example.com/kick-off",
            )?),
        },
        DemoTask {
            phase: "Month end",
            title: "Explain an uncategorised transaction",
            description: "We could not tell what this card payment was for.",
            due: Some("2026-12-10"),
            assignee: Side::Client,
            evidence: Evidence::Question(Question::new(
                "What was this payment for, and was it a business expense?",
                Some(BankTransaction {
                    date: Timestamp::parse_date("2026-11-03")
                        .ok_or_else(|| EvidenceError::new("date", Problem::Malformed))?,
                    payee: "Office Supplies Ltd".into(),
                    amount: Amount::parse("-42.10", eur)?,
                    memo: Some("CARD 4411 INV-7731".into()),
                }),
            )?),
        },
        DemoTask {
            phase: "Month end",
            title: "Upload your November bank statements",
            description: "Every page of each business account's statement, as PDF.",
            due: Some("2026-12-10"),
            assignee: Side::Client,
            evidence: Evidence::DocumentUpload,
        },
        DemoTask {
            phase: "Month end",
            title: "Reconcile accounts",
            description: "We match every transaction.",
            due: Some("2026-12-15"),
            assignee: Side::Firm,
            evidence: Evidence::Standard,
        },
        DemoTask {
            phase: "Year end",
            title: "Year-end questionnaire",
            description: "A few questions about your year, for the annual accounts.",
            due: Some("2027-01-15"),
            assignee: Side::Client,
            evidence: Evidence::Form(Form::new(vec![
                field(
                    "contact_name",
                    "Who should we ask about the accounts?",
                    FieldKind::ShortText { max_chars: 100 },
                    true,
                ),
                field(
                    "changes",
                    "What changed in your business this year?",
                    FieldKind::LongText { max_chars: 2000 },
                    false,
                ),
                field(
                    "vehicles",
                    "Business vehicles",
                    FieldKind::SingleSelect {
                        options: select(&["None", "One", "Two or more"]),
                    },
                    true,
                ),
                field(
                    "income",
                    "Kinds of income this year",
                    FieldKind::MultipleSelect {
                        options: select(&["Sales", "Rent", "Interest", "Grants"]),
                    },
                    false,
                ),
                field(
                    "rating",
                    "How was working with us this year?",
                    FieldKind::Rating,
                    false,
                ),
            ])?),
        },
        DemoTask {
            phase: "Year end",
            title: "Approve the annual accounts",
            description: "We send the draft in January.",
            due: Some("2027-01-31"),
            assignee: Side::Client,
            evidence: Evidence::Approval(ApprovalRequest::new(
                "The draft annual accounts for 2026, as discussed on our call.",
                Some("https://files.example.com/acme/annual-accounts-2026-draft.pdf"),
            )?),
        },
        DemoTask {
            phase: "Year end",
            title: "File the annual accounts",
            description: "We file them once you approve.",
            due: Some("2027-02-28"),
            assignee: Side::Firm,
            evidence: Evidence::Standard,
        },
    ])
}
