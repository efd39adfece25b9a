"""The layering of our apps, read from the source with ``ast`` (nothing is imported).

1. No import cycle between modules of ours. Imports inside functions count as much as those at
   the top (an import moved into a function to dodge a cycle is still a cycle), and so do
   ``TYPE_CHECKING`` ones.
2. The app order (DESIGN.md): library <- transcripts <- search <- reports, each app importing
   only the apps listed for it in ``MAY_IMPORT``.

Run it as a script to see the cycles and each app's imports:
``.venv/bin/python tests/test_architecture.py``."""

import ast
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APPS = ("library", "transcripts", "search", "catalogue", "reports", "jobs", "ops", "config")

# Which of our apps each app may import. Anything not listed is refused.
MAY_IMPORT = {
    "library": set(),  # sessions, recordings, people: it shows other apps' parts through hooks
    "transcripts": {"library"},  # it announces "transcript changed"; search listens
    "search": {"library", "transcripts"},
    "catalogue": {"library", "transcripts"},
    "reports": {"library", "transcripts", "search"},
    "jobs": set(),  # the worker runs any app's tasks without knowing them
    "ops": {"search"},  # the health check asks the search engine
    "config": set(APPS) - {"config"},  # settings and URLs name every app; no app imports config
}


def module_files(root: Path = REPO, apps=APPS) -> dict[str, Path]:
    """Dotted module name -> file, for every module of our apps (migrations left out: they
    name models by string)."""
    modules = {}
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def import_graph(root: Path = REPO, apps=APPS) -> dict[str, dict[str, int]]:
    """module -> {module of ours it imports: line of the first such import}."""
    modules = module_files(root, apps)

    def ours(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        imports: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                # `from package import module` imports that module; `from module import name`
                # the module (a package's __init__ is run either way, but that is no cycle).
                names = [
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                    for alias in node.names
                ]
            else:
                continue
            for name in names:
                target = ours(name)
                if target and target != module:
                    imports.setdefault(target, node.lineno)
        graph[module] = imports
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for module in graph:
        if module not in index:
            visit(module)
    return found


def describe(component: list[str], graph) -> str:
    edges = [
        f"  {source} imports {target} (line {line})"
        for source in component
        for target, line in graph[source].items()
        if target in component
    ]
    return "\n".join([" <-> ".join(component), *edges])


def app_imports(graph) -> dict[str, dict[str, list[str]]]:
    """app -> {other app of ours: ["module:line imports module", ...]}."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for source, targets in graph.items():
        for target, line in targets.items():
            if source.split(".")[0] != target.split(".")[0]:
                found[source.split(".")[0]][target.split(".")[0]].append(f"{source}:{line} imports {target}")
    return found


def test_the_checker_finds_a_cycle_hidden_in_a_function(tmp_path):
    app = tmp_path / "app"
    (app / "sub").mkdir(parents=True)
    for name, text in {
        "__init__.py": "",
        "service.py": "def nudge():\n    from app.tasks import retry\n",
        "tasks.py": "from . import service\n",
        "sub/__init__.py": "",
        "sub/models.py": "from ..tasks import retry\n",  # relative, one way only
    }.items():
        (app / name).write_text(text)
    graph = import_graph(tmp_path, ["app"])
    assert graph["app.sub.models"] == {"app.tasks": 1}
    assert cycles(graph) == [["app.service", "app.tasks"]]


def test_no_import_cycle_between_our_modules():
    graph = import_graph()
    assert len(graph) > 100  # the walk found the apps
    found = cycles(graph)
    assert not found, "Import cycles:\n" + "\n".join(describe(c, graph) for c in found)


def test_each_app_imports_only_the_apps_below_it():
    wrong = [
        line
        for app, targets in app_imports(import_graph()).items()
        for target, lines in targets.items()
        if target not in MAY_IMPORT[app]
        for line in lines
    ]
    assert not wrong, "Imports against the app order (MAY_IMPORT):\n" + "\n".join(wrong)


def test_the_order_of_the_design():
    """The rules DESIGN.md states, whatever MAY_IMPORT grows into."""
    assert MAY_IMPORT["library"] == set()
    assert not {"search", "reports"} & MAY_IMPORT["transcripts"]
    assert "reports" not in MAY_IMPORT["search"]
    assert MAY_IMPORT["jobs"] == set()
    assert not any("config" in allowed for app, allowed in MAY_IMPORT.items() if app != "config")


if __name__ == "__main__":
    graph = import_graph()
    found = cycles(graph)
    print(f"{len(graph)} modules in {', '.join(APPS)}; import cycles: {len(found)}")
    for component in found:
        print(describe(component, graph))
    for app in APPS:
        targets = app_imports(graph).get(app, {})
        print(f"{app} imports: {', '.join(sorted(targets)) or 'none of ours'}")
    sys.exit(1 if found else 0)
