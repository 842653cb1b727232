//! `/api/...`: JSON endpoints. Content comes from the loaded [`course::Library`], converted here
//! into the wire types of `api-types`.

use axum::extract::{OriginalUri, Path, State};
use axum::routing::get;
use axum::{Json, Router};

use crate::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/courses", get(courses))
        .route("/chapters/{slug}", get(chapter))
        .fallback(unknown_endpoint)
}

async fn health(State(state): State<AppState>) -> Result<Json<api_types::Health>, ApiError> {
    Ok(Json(api_types::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        schema_version: state.store.schema_version().await?,
        chapters: state.library.chapter_count(),
    }))
}

async fn courses(State(state): State<AppState>) -> Json<api_types::CourseList> {
    let courses = state
        .library
        .courses
        .iter()
        .map(|course| api_types::CourseSummary {
            slug: course.slug.clone(),
            title: course.title.clone(),
            summary: course.summary.clone(),
            chapters: course.chapters.iter().map(chapter_summary).collect(),
        })
        .collect();
    Json(api_types::CourseList { courses })
}

async fn chapter(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<api_types::Chapter>, ApiError> {
    let (course, chapter) = state
        .library
        .chapter(&slug)
        .ok_or_else(|| ApiError::NotFound(format!("there is no chapter called `{slug}`")))?;
    let (previous, next) = course.neighbours(&slug);
    Ok(Json(api_types::Chapter {
        slug: chapter.slug.clone(),
        title: chapter.front.title.clone(),
        summary: chapter.front.summary.clone(),
        minutes: chapter.front.minutes,
        course: api_types::CourseRef {
            slug: course.slug.clone(),
            title: course.title.clone(),
        },
        blocks: chapter.blocks.iter().map(block).collect(),
        headings: chapter
            .headings
            .iter()
            .map(|h| api_types::Heading {
                level: h.level,
                id: h.id.clone(),
                text: h.text.clone(),
            })
            .collect(),
        previous: previous.map(chapter_ref),
        next: next.map(chapter_ref),
    }))
}

async fn unknown_endpoint(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("there is no API endpoint at `{}`", uri.path()))
}

fn chapter_summary(chapter: &course::Chapter) -> api_types::ChapterSummary {
    api_types::ChapterSummary {
        slug: chapter.slug.clone(),
        title: chapter.front.title.clone(),
        summary: chapter.front.summary.clone(),
        minutes: chapter.front.minutes,
    }
}

fn chapter_ref(chapter: &course::Chapter) -> api_types::ChapterRef {
    api_types::ChapterRef {
        slug: chapter.slug.clone(),
        title: chapter.front.title.clone(),
    }
}

fn block(block: &course::Block) -> api_types::Block {
    match block {
        course::Block::Prose(html) => api_types::Block::Prose { html: html.clone() },
        course::Block::Demo { name, .. } => api_types::Block::Demo { name: name.clone() },
        course::Block::Notes { html, .. } => api_types::Block::Notes { html: html.clone() },
        course::Block::Code(code) => api_types::Block::Code(code_block(code)),
        course::Block::Exercise(exercise) => api_types::Block::Exercise(exercise_block(exercise)),
        course::Block::Files(set) => api_types::Block::Files(api_types::FileSet {
            id: set.id.clone(),
            runnable: set.runnable(),
            editable: set.info.editable(),
            run: set.info.run_settings(),
            files: set
                .files
                .iter()
                .map(|file| api_types::SourceFile {
                    path: file.info.file().unwrap_or_default().to_owned(),
                    language: file.info.language.clone(),
                    code: file.code.clone(),
                    highlighted: file.highlighted.clone(),
                })
                .collect(),
            problem: set.problem.clone(),
        }),
    }
}

fn code_block(code: &course::CodeBlock) -> api_types::CodeBlock {
    api_types::CodeBlock {
        index: code.index,
        id: code.id.clone(),
        language: code.info.language.clone(),
        code: code.code.clone(),
        hidden_lines: code.hidden_lines.clone(),
        highlighted: code.highlighted.clone(),
        runnable: code.runnable(),
        editable: code.info.editable(),
        run: code.info.run_settings(),
        attributes: code.info.attributes.clone(),
        hash: code.hash.clone(),
        problem: code.problem.clone(),
    }
}

fn exercise_block(exercise: &course::Exercise) -> api_types::Exercise {
    let text = |block: &Option<course::CodeBlock>| {
        block
            .as_ref()
            .map(|b| (b.code.clone(), b.hidden_lines.clone(), b.hash.clone()))
            .unwrap_or_default()
    };
    let (starter, starter_hidden_lines, hash) = text(&exercise.starter);
    let (tests, _, _) = text(&exercise.tests);
    let (solution, solution_hidden_lines, _) = text(&exercise.solution);
    let run = exercise.run_settings();
    let extra_files = exercise
        .extra_files
        .iter()
        .map(|file| api_types::ExerciseFile {
            path: file.path.clone(),
            language: file.block.info.language.clone(),
            role: match file.role {
                course::Role::Starter => api_types::ExerciseRole::Starter,
                course::Role::Tests => api_types::ExerciseRole::Tests,
                course::Role::Solution => api_types::ExerciseRole::Solution,
            },
            code: file.block.code.clone(),
            hidden_lines: file.block.hidden_lines.clone(),
            hash: file.block.hash.clone(),
        })
        .collect();
    api_types::Exercise {
        index: exercise.index,
        id: exercise.id.clone(),
        path: exercise.path.clone(),
        extra_files,
        instructions: exercise.instructions.clone(),
        starter,
        starter_hidden_lines,
        tests,
        hints: exercise.hints.clone(),
        solution,
        solution_hidden_lines,
        run,
        hash,
        problem: exercise.problem.clone(),
    }
}
