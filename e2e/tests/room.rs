//! The live classroom in Chromium: a teacher and two students, each in a browser of their own,
//! on one real server. The teacher starts a session (code, join address, QR code), the students
//! join by the address, the teacher moves and both follow, pushed code reaches one student's
//! editor and the other keeps their own edit, a forged teacher message from a student's page is
//! refused, and a student's passing test shows on the dashboard. Screenshots of each page are
//! saved for a person to look at.
//!
//! Every student browser comes from a harness of its own (its server idle, its sandbox off);
//! they all open the teacher's server by its absolute address.
use std::path::{Path, PathBuf};

use e2e::Harness;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn course(dir: &Path) {
    write(
        &dir.join("class/course.toml"),
        "title = \"Class\"\nsummary = \"A lesson taught live.\"\norder = 1\n",
    );
    write(
        &dir.join("class/lesson.md"),
        "+++\ntitle = \"Lesson\"\norder = 1\nminutes = 30\nsummary = \"Taught live.\"\n+++\n\n\
         ## Warm up\n\nFirst words.\n\n\
         ```rust,editable\nfn main() { println!(\"one\"); }\n```\n\n\
         ## Borrowing\n\nSecond words.\n\n\
         ```rust,editable\nfn main() { println!(\"two\"); }\n```\n\n\
         ## Practice\n\n\
         ````exercise\nReturn 4.\n\n```rust,starter\npub fn four() -> u32 { 0 }\n```\n\n\
         ```rust,tests\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn is_four() { assert_eq!(super::four(), 4); }\n}\n```\n\n\
         ```hint\nWhat is two and two?\n```\n\n\
         ```rust,solution\npub fn four() -> u32 { 4 }\n```\n````\n",
    );
}

fn shots() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("room-shots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A student's browser, opened on the teacher's server.
async fn student(content: &str) -> Harness {
    Harness::start_with_env(&[("RMP_CONTENT_DIR", content), ("RMP_SANDBOX", "none")]).await
}

async fn open(browser: &Harness, base: &str, path: &str) {
    browser.client.goto(&format!("{base}{path}")).await.unwrap();
}

/// The editor text of the block with id `block`.
async fn editor_text(browser: &Harness, block: &str) -> String {
    browser
        .eval(&format!(
            "const e = document.querySelector('#block-{block} .cm-content'); return e ? e.innerText : '';"
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_for_editor(browser: &Harness, block: &str, needle: &str, what: &str) {
    browser
        .wait_until(
            &format!(
                "const e = document.querySelector('#block-{block} .cm-content');
                 return !!e && e.innerText.includes({needle:?});"
            ),
            what,
        )
        .await;
}

/// Takes focus out of any editor or field, so the page's own keys reach it.
async fn unfocus(browser: &Harness) {
    browser
        .eval("if (document.activeElement) document.activeElement.blur(); return true")
        .await;
}

#[tokio::test]
async fn a_class_follows_its_teacher_takes_pushed_code_and_shows_on_the_dashboard() {
    let content = tempfile::tempdir().unwrap();
    course(content.path());
    let dir = content.path().display().to_string();
    let teacher = Harness::start_with_env(&[("RMP_CONTENT_DIR", dir.as_str())]).await;
    let base = teacher.base.clone();
    let shots = shots();

    // The teacher starts a session: a code, the join address and a QR code of it.
    teacher.resize(1920, 1080).await;
    teacher.goto("/teach/lesson").await;
    // The teacher page shows the presentation's slides: the title slide, then a slide per `##`
    // section. The teacher moves to the first section before anyone joins.
    teacher.wait_for_contains(".teach-title", "Lesson").await;
    unfocus(&teacher).await;
    teacher
        .press(&char::from(fantoccini::key::Key::Right).to_string())
        .await;
    teacher.wait_for_contains(".teach-title", "Warm up").await;
    teacher.click(".start-session").await;
    teacher
        .wait_until(
            "return (document.querySelector('.room-code')||{}).innerText?.trim().length === 6",
            "the room code shows",
        )
        .await;
    let code = teacher
        .eval("return document.querySelector('.room-code').innerText.trim()")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    let join_url = teacher
        .wait_for_contains(".room-url", "/join/")
        .await
        .trim()
        .to_owned();
    assert_eq!(join_url, format!("{base}/join/{code}"));
    teacher
        .wait_until(
            "const img = document.querySelector('img.room-qr');
             return !!img && img.complete && img.naturalWidth >= 256;",
            "the QR code is drawn",
        )
        .await;
    // The QR is the server's SVG of the join address (its modules are checked against the
    // `qrcode` crate's output in backend/tests/room.rs): here, that it is an SVG of modules.
    let svg = teacher
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('img.room-qr').src)
               .then(r => r.text().then(t => done([r.headers.get('content-type'), t])));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(svg[0], "image/svg+xml");
    let svg = svg[1].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");

    // Two students join by the address, one with a name that is markup (shown as text).
    let ada = student(&dir).await;
    let bob = student(&dir).await;
    for (browser, name) in [(&ada, "Ada"), (&bob, "<b>Bob</b>")] {
        open(browser, &base, &format!("/join/{code}")).await;
        browser.wait_for_contains("h1", &code).await;
        browser.click(".display-name-input").await;
        browser.press(name).await;
        browser.click(".join-button").await;
        // The teacher is at the first section already: the page goes there.
        browser
            .wait_for_contains(".follow-bar", "Following your teacher")
            .await;
        browser
            .wait_until(
                "return location.pathname === '/learn/lesson' && location.hash === '#warm-up';",
                "the new student's page goes to the teacher's section",
            )
            .await;
    }
    teacher.wait_for_contains(".room-count", "2 students").await;
    let roster = teacher.wait_for_contains(".room-roster", "Ada").await;
    assert!(roster.contains("<b>Bob</b>"), "names are text: {roster}");
    assert_eq!(teacher.count(".room-roster b").await, 0);
    teacher
        .screenshot(&shots.join("teacher-1920x1080.png"))
        .await;

    // The teacher moves on: both students' pages follow to the section.
    unfocus(&teacher).await;
    teacher
        .press(&char::from(fantoccini::key::Key::Right).to_string())
        .await;
    teacher.wait_for_contains(".teach-title", "Borrowing").await;
    for browser in [&ada, &bob] {
        browser
            .wait_until(
                "return location.pathname === '/learn/lesson' && location.hash === '#borrowing';",
                "the student's page follows the teacher to #borrowing",
            )
            .await;
        browser
            .wait_for_contains(".follow-bar", "Following your teacher")
            .await;
    }

    // Bob edits the example; the teacher pushes a version of it.
    let block = teacher
        .eval("return document.querySelector('.push-code').dataset.block")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    for browser in [&ada, &bob] {
        wait_for_editor(browser, &block, "two", "the example's editor is ready").await;
    }
    bob.retype(
        &format!("#block-{block}"),
        "fn main() { println!(\"mine\"); }",
    )
    .await;
    wait_for_editor(&bob, &block, "mine", "Bob's own edit is in his editor").await;
    teacher
        .retype(
            &format!("#block-{block}"),
            "fn main() { println!(\"from the teacher\"); }",
        )
        .await;
    wait_for_editor(&teacher, &block, "from the teacher", "the teacher's edit").await;
    teacher.click(".push-code").await;
    wait_for_editor(
        &ada,
        &block,
        "from the teacher",
        "the pushed code reaches Ada's editor",
    )
    .await;
    // Bob is asked, and keeps his own.
    bob.wait_for_contains(".push-notice", "Your teacher sent new code")
        .await;
    bob.click(".keep-mine").await;
    assert_eq!(bob.count(".push-notice").await, 0);
    assert!(editor_text(&bob, &block).await.contains("mine"));
    assert!(!editor_text(&bob, &block).await.contains("from the teacher"));

    // Browsing away stops following; `g` goes back.
    bob.resize(1366, 800).await;
    bob.eval("document.querySelector('header a[href=\"/\"]').click(); return true")
        .await;
    bob.wait_for_contains(".follow-bar", "browsing on your own")
        .await;
    bob.screenshot(&shots.join("student-follow-bar-1366.png"))
        .await;
    bob.resize(360, 740).await;
    bob.screenshot(&shots.join("student-follow-bar-360.png"))
        .await;
    unfocus(&bob).await;
    bob.press("g").await;
    bob.wait_until(
        "return location.pathname === '/learn/lesson' && location.hash === '#borrowing';",
        "`g` takes the student back to the teacher's place",
    )
    .await;

    // A student's page forging a teacher's message is refused; nobody moves.
    let forged = ada
        .client
        .execute_async(
            &format!(
                "const done = arguments[arguments.length - 1];
                 const ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/rooms/{code}/ws');
                 ws.onopen = () => ws.send(JSON.stringify({{type: 'joinStudent', student: 'forger-browser-1'}}));
                 ws.onmessage = (m) => {{
                   const msg = JSON.parse(m.data);
                   if (msg.type === 'welcome') ws.send(JSON.stringify({{type: 'goto',
                       position: {{chapter: 'lesson', slide: 0, anchor: 'warm-up'}}}}));
                   if (msg.type === 'refused') {{ ws.close(); done(msg.reason); }}
                 }};
                 setTimeout(() => done('no answer'), 10000);"
            ),
            vec![],
        )
        .await
        .unwrap();
    assert!(
        forged
            .as_str()
            .unwrap_or_default()
            .contains("only the teacher"),
        "{forged}"
    );
    for browser in [&ada, &bob] {
        assert_eq!(
            browser.eval("return location.hash").await,
            "#borrowing",
            "the forged move moved nobody"
        );
    }

    // The exercise: Ada passes its test, and the dashboard counts it.
    unfocus(&teacher).await;
    teacher
        .press(&char::from(fantoccini::key::Key::Right).to_string())
        .await;
    teacher.wait_for_contains(".teach-title", "Practice").await;
    ada.wait_until(
        "return location.hash === '#practice';",
        "Ada follows to the exercise",
    )
    .await;
    teacher.click(".toggle-dashboard").await;
    teacher
        .wait_for_contains(".class-dashboard", "Ran it")
        .await;
    ada.wait_until(
        "return !!document.querySelector('.exercise .cm-content[contenteditable=true]')",
        "the exercise's editor is ready",
    )
    .await;
    ada.retype(".exercise", "pub fn four() -> u32 { 4 }").await;
    ada.click(".exercise .run-button").await;
    // A compile in the sandbox on a busy machine may take a while: wait, and say what the
    // exercise showed if it never passed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let shown = ada
            .eval("return document.querySelector('.exercise').innerText")
            .await;
        let shown = shown.as_str().unwrap_or_default();
        if shown.contains("The test passes") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Ada's test never passed; the exercise shows:\n{shown}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let dashboard = teacher
        .wait_for_contains(".class-dashboard", "is_four")
        .await;
    assert!(dashboard.contains("Ran it"), "{dashboard}");
    teacher
        .wait_until(
            "const rows = [...document.querySelectorAll('.class-dashboard .dash-row')];
             const row = rows.find(r => r.innerText.includes('is_four'));
             return !!row && row.innerText.includes('1 of 2');",
            "the dashboard counts one of two students passing is_four",
        )
        .await;

    // The teacher opens the solution for the room.
    teacher.click(".unlock-solution").await;
    bob.wait_for_contains(".exercise .solution", "Reference solution")
        .await;

    // The dashboard on its own page, to project: the same counts, from this tab's secret.
    teacher.goto(&format!("/room/{code}/dashboard")).await;
    teacher
        .wait_until(
            "const rows = [...document.querySelectorAll('.dashboard-page .dash-row')];
             const row = rows.find(r => r.innerText.includes('is_four'));
             return !!row && row.innerText.includes('1 of 2');",
            "the dashboard page counts one of two students passing is_four",
        )
        .await;
    teacher
        .screenshot(&shots.join("dashboard-1920x1080.png"))
        .await;

    bob.close().await;
    ada.close().await;
    teacher.close().await;
}

/// The presenter console leads a class too: started there, the session follows the deck, so a
/// student's page goes to each slide's section as the console moves, and the slide's example is
/// pushed as the teacher's editor has it (their saved edit).
#[tokio::test]
async fn a_class_follows_the_presenter_console() {
    let content = tempfile::tempdir().unwrap();
    course(content.path());
    let dir = content.path().display().to_string();
    let teacher = Harness::start_with_env(&[("RMP_CONTENT_DIR", dir.as_str())]).await;
    let base = teacher.base.clone();

    // The teacher changed the second example while preparing (a saved edit in their browser).
    teacher.resize(1366, 768).await;
    teacher.goto("/learn/lesson").await;
    teacher
        .wait_until(
            "return document.querySelectorAll('.code-block .cm-editor').length >= 2;",
            "the lesson's editors are ready",
        )
        .await;
    let block = teacher
        .eval("return document.querySelectorAll('.code-block')[1].id.replace(/^block-/, '')")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    let edited = "fn main() { println!(\"from the console\"); }";
    teacher.retype(&format!("#block-{block}"), edited).await;
    wait_for_editor(&teacher, &block, "from the console", "the teacher's edit").await;

    teacher.goto("/present/lesson/console").await;
    teacher
        .wait_for_contains(".console-current-title", "Lesson")
        .await;
    teacher.click(".console-class .start-session").await;
    teacher
        .wait_until(
            "return (document.querySelector('.console-class .room-code')||{}).innerText?.trim().length === 6",
            "the room code shows in the console",
        )
        .await;
    let code = teacher
        .eval("return document.querySelector('.console-class .room-code').innerText.trim()")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    teacher
        .screenshot(&shots().join("console-class-1366x768.png"))
        .await;

    let ada = student(&dir).await;
    open(&ada, &base, &format!("/join/{code}")).await;
    ada.wait_for_contains("h1", &code).await;
    ada.click(".join-button").await;
    // The deck is on its title slide, whose place on the reading page is the top.
    ada.wait_until(
        "return location.pathname === '/learn/lesson' && location.hash === '#top';",
        "the student's page goes to the title slide's place",
    )
    .await;

    // Two slides on (the title slide, then one slide per `##` section): the student follows.
    for (title, anchor) in [("Warm up", "warm-up"), ("Borrowing", "borrowing")] {
        teacher.click(".console-next-button").await;
        teacher
            .wait_for_contains(".console-current-title", title)
            .await;
        ada.wait_until(
            &format!(
                "return location.pathname === '/learn/lesson' && location.hash === '#{anchor}';"
            ),
            &format!("the student follows the console to #{anchor}"),
        )
        .await;
    }

    // The slide's example is offered, and the push carries the teacher's edit.
    teacher
        .wait_until(
            &format!(
                "return !!document.querySelector('.console-class .push-code[data-block=\"{block}\"]');"
            ),
            "the console offers the slide's example for pushing",
        )
        .await;
    wait_for_editor(&ada, &block, "two", "the student's editor is ready").await;
    teacher
        .click(&format!(
            ".console-class .push-code[data-block=\"{block}\"]"
        ))
        .await;
    wait_for_editor(
        &ada,
        &block,
        "from the console",
        "the teacher's edit is in the student's editor",
    )
    .await;

    // The console projects the join card: the projector (this browser) shows the code and the QR
    // over the slide, at both projector sizes, and never the teacher's secret.
    teacher.click(".console-join-card").await;
    teacher
        .wait_until(
            "return document.querySelector('.console-join-card').getAttribute('aria-pressed') === 'true';",
            "the console says the card is projected",
        )
        .await;
    let stored = teacher
        .eval("return localStorage.getItem('rmp.present.joinCard') || ''")
        .await;
    let stored = stored.as_str().unwrap_or_default();
    assert!(stored.contains(&code), "{stored}");
    assert!(
        stored.contains("\"teacherSecret\":\"\""),
        "the card leaves the secret out: {stored}"
    );
    teacher.goto("/present/lesson/3").await;
    teacher.wait_for_contains(".join-card-code", &code).await;
    teacher
        .wait_until(
            "const img = document.querySelector('img.join-card-qr');
             return !!img && img.complete && img.naturalWidth >= 256;",
            "the projected QR code is drawn",
        )
        .await;
    for (width, height) in [(1920, 1080), (1024, 768)] {
        teacher.resize(width, height).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let fits = teacher
            .eval(
                "const r = document.querySelector('.join-card-qr').getBoundingClientRect();
                 return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;",
            )
            .await;
        assert_eq!(
            fits,
            serde_json::Value::Bool(true),
            "QR inside {width}x{height}"
        );
        teacher
            .screenshot(&shots().join(format!("projector-join-card-{width}x{height}.png")))
            .await;
    }
    ada.close().await;
    teacher.close().await;
}

/// Where to save the phone's screenshots: `RMP_E2E_SCREENSHOTS` when set, else the room's folder.
fn phone_shots() -> PathBuf {
    std::env::var_os("RMP_E2E_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(shots)
}

async fn console_title(browser: &Harness, title: &str) {
    browser.wait_for_text(".console-current-title", title).await;
}

/// Waits until the console's current slide title contains `title` (the title slide's is the
/// chapter's).
async fn console_title_has(browser: &Harness, title: &str) {
    browser
        .wait_for_contains(".console-current-title", title)
        .await;
}

/// Waits until the projector (this window) shows slide `index`, 0-based.
async fn projector_shows(browser: &Harness, index: usize) {
    browser
        .wait_until(
            &format!(
                "return !!document.querySelector('.slide-stage .slide[data-slide=\"{index}\"]') \
                 && location.pathname === '/present/lesson/{}';",
                index + 1
            ),
            &format!("the projector shows slide {}", index + 1),
        )
        .await;
}

async fn student_at(browser: &Harness, anchor: &str) {
    browser
        .wait_until(
            &format!(
                "return location.pathname === '/learn/lesson' && location.hash === '#{anchor}';"
            ),
            &format!("the student's page follows to #{anchor}"),
        )
        .await;
}

/// The teacher's phone, a browser of its own (no storage shared with the laptop, as two devices):
/// it opens the console from the address the laptop's console shows for it, and then the phone
/// and the laptop move each other's decks through the room, the students following either; the
/// secret leaves the phone's address bar at once and never reaches the projector; a reload keeps
/// the phone in step; the dashboard opens in a fresh tab of the laptop and on the phone, headed
/// by the exercise's title.
#[tokio::test]
async fn the_teachers_phone_drives_the_laptops_projector_through_the_room() {
    let content = tempfile::tempdir().unwrap();
    course(content.path());
    let dir = content.path().display().to_string();
    let laptop = Harness::start_with_env(&[("RMP_CONTENT_DIR", dir.as_str())]).await;
    let base = laptop.base.clone();

    // The laptop: the console starts the session; the projector is a second window.
    laptop.resize(1366, 768).await;
    laptop.goto("/present/lesson/console").await;
    console_title_has(&laptop, "Lesson").await;
    let console = laptop.client.window().await.unwrap();
    laptop.click(".console-class .start-session").await;
    laptop
        .wait_until(
            "return (document.querySelector('.console-class .room-code')||{}).innerText?.trim().length === 6",
            "the room code shows in the console",
        )
        .await;
    let code = laptop
        .eval("return document.querySelector('.console-class .room-code').innerText.trim()")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    let projector = laptop.client.new_window(false).await.unwrap().handle;
    laptop
        .client
        .switch_to_window(projector.clone())
        .await
        .unwrap();
    laptop.goto("/present/lesson/1").await;
    projector_shows(&laptop, 0).await;
    laptop
        .client
        .switch_to_window(console.clone())
        .await
        .unwrap();

    // A student follows the class.
    let ada = student(&dir).await;
    open(&ada, &base, &format!("/join/{code}")).await;
    ada.wait_for_contains("h1", &code).await;
    ada.click(".join-button").await;
    student_at(&ada, "top").await;

    // "Open on your phone": a warning, an SVG QR code and the link it encodes.
    laptop.click(".open-on-phone").await;
    laptop
        .wait_for_contains(".phone-warning", "key to your class")
        .await;
    laptop
        .wait_until(
            "const img = document.querySelector('img.phone-qr');
             return !!img && img.src.startsWith('data:image/svg+xml;base64,')
                 && img.complete && img.naturalWidth >= 256;",
            "the phone's QR code is drawn from the server's SVG",
        )
        .await;
    let phone_url = laptop
        .eval("return document.querySelector('a.phone-link').href")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    let (address, fragment) = phone_url
        .split_once('#')
        .expect("the secret is in a fragment");
    assert_eq!(address, format!("{base}/present/lesson/console"));
    assert!(
        fragment.starts_with(&format!("room={code}&secret=")),
        "{fragment}"
    );
    let secret = fragment.rsplit('=').next().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    laptop
        .screenshot(&phone_shots().join("console-phone-code-1366x768.png"))
        .await;

    // The projector never shows the secret, nor a phone code.
    laptop
        .client
        .switch_to_window(projector.clone())
        .await
        .unwrap();
    let projected = laptop
        .eval("return document.documentElement.outerHTML + location.href")
        .await;
    assert!(!projected.as_str().unwrap().contains(&secret));
    assert_eq!(laptop.count(".phone-console, .phone-qr").await, 0);
    laptop
        .client
        .switch_to_window(console.clone())
        .await
        .unwrap();
    // Hidden again with one press.
    laptop.click(".hide-phone").await;
    assert_eq!(laptop.count(".phone-qr").await, 0);

    // The phone opens the address: the console, on the room, with the secret gone from its bar.
    let phone = student(&dir).await;
    phone.resize(390, 844).await;
    phone.client.goto(&phone_url).await.unwrap();
    console_title_has(&phone, "Lesson").await;
    phone
        .wait_until(
            "return location.hash === '' && location.pathname === '/present/lesson/console';",
            "the secret leaves the phone's address bar",
        )
        .await;
    let href = phone.eval("return location.href").await;
    assert!(!href.as_str().unwrap().contains(&secret), "{href}");
    phone
        .wait_until(
            &format!(
                "return (document.querySelector('.console-class .room-code')||{{}}).innerText?.trim() === '{code}';"
            ),
            "the phone's console is in the room",
        )
        .await;
    phone
        .wait_until(
            "return document.querySelector('.console-class .room-state').innerText.trim() === '';",
            "the phone's console is connected",
        )
        .await;

    // The phone moves on: the laptop's projector and console, and the student, follow.
    phone.click(".console-next-button").await;
    console_title(&phone, "Warm up").await;
    laptop
        .client
        .switch_to_window(projector.clone())
        .await
        .unwrap();
    projector_shows(&laptop, 1).await;
    laptop
        .client
        .switch_to_window(console.clone())
        .await
        .unwrap();
    console_title(&laptop, "Warm up").await;
    student_at(&ada, "warm-up").await;
    phone
        .screenshot(&phone_shots().join("phone-console-390x844.png"))
        .await;

    // The laptop moves back: the phone's console follows, and the student.
    laptop.click(".console-previous").await;
    console_title_has(&laptop, "Lesson").await;
    console_title_has(&phone, "Lesson").await;
    student_at(&ada, "top").await;

    // The projector's own keys move the phone too; blanking reaches it.
    laptop
        .client
        .switch_to_window(projector.clone())
        .await
        .unwrap();
    unfocus(&laptop).await;
    laptop
        .press(&char::from(fantoccini::key::Key::Right).to_string())
        .await;
    projector_shows(&laptop, 1).await;
    console_title(&phone, "Warm up").await;
    phone.click(".console-blank").await;
    laptop
        .wait_until(
            "return document.querySelector('.projector').classList.contains('blanked');",
            "the phone blanks the laptop's projector",
        )
        .await;
    phone.click(".console-blank").await;
    laptop
        .wait_until(
            "return !document.querySelector('.projector').classList.contains('blanked');",
            "the phone shows the slide again",
        )
        .await;

    // The phone reloads (no fragment now): it finds the room and the deck where they are.
    laptop
        .client
        .switch_to_window(console.clone())
        .await
        .unwrap();
    laptop.click(".console-next-button").await;
    console_title(&laptop, "Borrowing").await;
    console_title(&phone, "Borrowing").await;
    phone.client.refresh().await.unwrap();
    console_title(&phone, "Borrowing").await;
    phone
        .wait_until(
            &format!(
                "return (document.querySelector('.console-class .room-code')||{{}}).innerText?.trim() === '{code}';"
            ),
            "the reloaded phone is still in the room",
        )
        .await;
    laptop.click(".console-previous").await;
    console_title(&phone, "Warm up").await;

    // On to the exercise (from the phone), then the dashboard in a fresh tab of the laptop's
    // browser (no sessionStorage from the console) and on the phone: headed by the title.
    phone.click(".console-next-button").await;
    console_title(&phone, "Borrowing").await;
    phone.click(".console-next-button").await;
    console_title(&phone, "Practice").await;
    student_at(&ada, "practice").await;
    let fresh = laptop.client.new_window(true).await.unwrap().handle;
    laptop.client.switch_to_window(fresh).await.unwrap();
    laptop.goto(&format!("/room/{code}/dashboard")).await;
    laptop
        .wait_for_text(".dashboard-page .class-dashboard h2", "Practice")
        .await;
    laptop
        .wait_for_contains(".dashboard-page .room-count", "1 student")
        .await;
    open(&phone, &base, &format!("/room/{code}/dashboard")).await;
    phone
        .wait_for_text(".dashboard-page .class-dashboard h2", "Practice")
        .await;
    phone
        .screenshot(&phone_shots().join("phone-dashboard-390x844.png"))
        .await;

    ada.close().await;
    phone.close().await;
    laptop.close().await;
}
