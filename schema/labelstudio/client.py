"""Push tasks to and pull annotations from a Label Studio server (label-studio-sdk 2.x).

URL and token come from the caller (the CLI reads options, then LABEL_STUDIO_URL and
LABEL_STUDIO_API_KEY). An unreachable server or a refused token is a `TallyError` with a clear
message, never a traceback. `pull` reads tasks through the tasks API, which returns predictions
whole (the export API gives only their ids), and writes them in the export's shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from tally.schema.diagnostics import TallyError

BATCH = 200


def _sdk():
    try:
        from label_studio_sdk import LabelStudio
        from label_studio_sdk.core.api_error import ApiError
    except ImportError:
        raise TallyError("label-studio-sdk is not installed: pip install 'tally-bench[labelstudio]'"
                         ) from None
    return LabelStudio, ApiError


@contextlib.contextmanager
def _errors(url: str, what: str) -> Iterator[None]:
    import httpx

    _, ApiError = _sdk()
    try:
        yield
    except httpx.TransportError as exc:
        raise TallyError(f"cannot reach Label Studio at {url} ({type(exc).__name__}: {exc}); "
                         "is the server running? (set --url or LABEL_STUDIO_URL)") from None
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise TallyError(f"Label Studio at {url} refused the token (HTTP {exc.status_code}); "
                             "use the legacy API token from Account & Settings "
                             "(--token or LABEL_STUDIO_API_KEY)") from None
        raise TallyError(f"Label Studio error while {what}: HTTP {exc.status_code}: "
                         f"{str(exc.body)[:500]}") from None


@dataclass(frozen=True)
class Connection:
    url: str
    client: object  # label_studio_sdk.LabelStudio


def connect(url: str | None, token: str | None, timeout: float = 60.0) -> Connection:
    """A checked client: the server answers and accepts the token."""
    if not url:
        raise TallyError("no Label Studio URL: give --url or set LABEL_STUDIO_URL")
    if not token:
        raise TallyError("no Label Studio token: give --token or set LABEL_STUDIO_API_KEY")
    LabelStudio, _ = _sdk()
    client = LabelStudio(base_url=url.rstrip("/"), api_key=token, timeout=timeout)
    with _errors(url, "checking the token"):
        client.users.whoami()
    return Connection(url, client)


def push(conn: Connection, tasks: list[dict], *, config: str, title: str, description: str = "",
         instructions: str = "", project_id: int | None = None) -> tuple[int, int]:
    """Create a project with `config` (or reuse `project_id`) and import the tasks with their
    predictions. Returns (project id, tasks imported)."""
    url, client = conn.url, conn.client
    with _errors(url, "creating the project"):
        if project_id is None:
            project_id = client.projects.create(title=title, label_config=config,
                                                description=description,
                                                expert_instruction=instructions,
                                                show_instruction=bool(instructions)).id
        else:
            client.projects.get(project_id)
    n = 0
    with _errors(url, "importing tasks"):
        for k in range(0, len(tasks), BATCH):
            resp = client.projects.import_tasks(project_id, request=tasks[k:k + BATCH],
                                                return_task_ids=True)
            n += resp.task_count or 0
    return project_id, n


def pull(conn: Connection, project_id: int) -> list[dict]:
    """Every task of the project with its annotations and whole predictions, in the shape of a
    Label Studio JSON export; `completed_by` carries the annotator's id and e-mail."""
    url, client = conn.url, conn.client
    with _errors(url, f"reading project {project_id}"):
        client.projects.get(project_id)
        users = {u.id: u.email for u in client.users.list()}
        out = []
        for task in client.tasks.list(project=project_id):
            t = task.model_dump(mode="json")
            anns = []
            for a in t.get("annotations") or []:
                uid = a.get("completed_by")
                if isinstance(uid, int):
                    a["completed_by"] = {"id": uid, "email": users.get(uid)}
                anns.append(a)
            out.append({"id": t["id"], "data": t["data"], "annotations": anns,
                        "predictions": t.get("predictions") or [], "project": project_id})
    return out
