"""The process registry: typed Python functions (or explicit descriptions) served as processes.

::

    registry = ProcessRegistry()

    @registry.process(id="add", title="Adder")
    def add(a: Annotated[float, Field(title="A", ge=0)], b: float = 1.0) -> float:
        return a + b

Inputs come from the parameters (schema via pydantic, converted to the OpenAPI
3.0 flavour; title/description/bounds/``x-ui-*`` hints from
``Annotated[..., Field(...)]``; a parameter with a default has ``minOccurs: 0``),
the output ``return_value`` from the return annotation. A parameter annotated
with :class:`~procdeck.server.context.JobContext` receives the job's context.
Everything that can be computed once (descriptions, JSON validators, pydantic
adapters) is computed at registration, so executing stays cheap.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import annotated_types
from pydantic import BaseModel, TypeAdapter, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, to_jsonable_python

from procdeck.ogc.extensions import standard_description
from procdeck.ogc.jsonschema import SchemaError, to_openapi_schema, validator_for
from procdeck.ogc.models import ProcessDescription
from procdeck.server.context import JobContext

__all__ = ["InputProblem", "ProcessRegistry", "RegisteredProcess"]

DEFAULT_JOB_CONTROL = ("async-execute", "dismiss")
MAX_PROBLEMS = 100
"""Checking an execute request stops after this many problems (bounded time and answer)."""
RETURN_VALUE = "return_value"
_DESCRIPTION_KEYS = frozenset(
    {"title", "description", "minOccurs", "maxOccurs", "keywords", "metadata", "schema",
     "additionalParameters"}
)
_QUALIFIED_KEYS = frozenset({"value", "mediaType", "encoding", "schema"})


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Why one input of an execute request is not acceptable."""

    input: str
    message: str
    path: str = ""

    def to_dict(self) -> dict[str, str]:
        """The problem as a JSON-able dict (``input``, ``path``, ``message``)."""
        return {"input": self.input, "path": self.path or self.input, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path or self.input}: {self.message}"


class _InputSpec:
    """Everything needed to check and convert one input, computed once."""

    __slots__ = ("adapter", "default", "max_occurs", "min_occurs", "unwrap", "validator")

    def __init__(self, name: str, description: dict[str, Any], adapter: TypeAdapter | None):
        schema = description.get("schema") or {}
        self.min_occurs: int = int(description.get("minOccurs", 1))
        max_occurs = description.get("maxOccurs")
        self.max_occurs: int | None = (
            None if max_occurs == "unbounded" else int(max_occurs) if max_occurs else 1
        )
        self.default = schema.get("default", PydanticUndefined)
        # the form engine's validator too (procdeck.ogc.jsonschema): the two agree
        self.validator = validator_for(schema)
        # A qualified value {"value": ..., "mediaType": ...} is unwrapped unless
        # the input's own schema is an object with a "value" member.
        self.unwrap = "value" not in (schema.get("properties") or {})
        self.adapter = adapter

    def unwrap_value(self, value: Any) -> Any:
        if (
            self.unwrap
            and isinstance(value, dict)
            and "value" in value
            and value.keys() <= _QUALIFIED_KEYS
        ):
            return value["value"]
        return value


class RegisteredProcess:
    """A process the server can run: its description, function and input checks."""

    def __init__(
        self,
        description: dict[str, Any],
        function: Callable[..., Any],
        *,
        adapters: Mapping[str, TypeAdapter] | None = None,
        context_param: str | None = None,
        return_adapter: TypeAdapter | None = None,
        apply_schema_defaults: bool = False,
        idempotent: bool = False,
    ) -> None:
        # served within the 1.0 schema object; inputs are checked against what was given
        self.description = _standard(description)
        self.function = function
        self.idempotent = idempotent
        """True when running the function twice for one job is harmless (it may be retried)."""
        self.id: str = description["id"]
        self.job_control_options: tuple[str, ...] = tuple(
            description.get("jobControlOptions") or DEFAULT_JOB_CONTROL
        )
        self.summary = {
            k: description[k]
            for k in ("id", "title", "description", "version", "keywords", "jobControlOptions")
            if k in description
        }
        self.output_ids: tuple[str, ...] = tuple(description.get("outputs") or (RETURN_VALUE,))
        self.output_transmission: tuple[str, ...] = tuple(
            description.get("outputTransmission") or ("value", "reference")
        )
        """How outputs may be sent: by value and (``/jobs/{id}/results/{output}``) by reference."""
        self._context_param = context_param
        self._return_adapter = return_adapter
        self._apply_schema_defaults = apply_schema_defaults
        adapters = adapters or {}
        self._inputs: dict[str, _InputSpec] = {}
        for name, spec in (description.get("inputs") or {}).items():
            try:
                self._inputs[name] = _InputSpec(name, spec, adapters.get(name))
            except SchemaError as exc:  # refused at registration, not at every request
                raise SchemaError(f"process {self.id!r}, input {name!r}: {exc}") from exc

    @property
    def output_descriptions(self) -> dict[str, Any]:
        """The output descriptions by output id (their schemas name media types)."""
        return self.description.get("outputs") or {}

    @property
    def allows_sync(self) -> bool:
        """True when the process may run synchronously."""
        return "sync-execute" in self.job_control_options

    @property
    def allows_async(self) -> bool:
        """True when the process may run asynchronously (as a job)."""
        return "async-execute" in self.job_control_options

    @property
    def allows_dismiss(self) -> bool:
        """True when jobs of this process may be dismissed while they run."""
        return "dismiss" in self.job_control_options

    @property
    def uses_context(self) -> bool:
        """True when the function takes a :class:`JobContext`."""
        return self._context_param is not None

    @property
    def context_param(self) -> str | None:
        """The name of the function's :class:`JobContext` parameter, or None."""
        return self._context_param

    def prepare(self, inputs: Mapping[str, Any]) -> tuple[dict[str, Any], list[InputProblem]]:
        """Check the request's inputs; return the function's keyword arguments and problems.

        Every bad input is reported (missing, unknown, schema violations), not
        only the first one.
        """
        problems: list[InputProblem] = []
        kwargs: dict[str, Any] = {}
        specs = self._inputs
        for name, raw in inputs.items():
            if len(problems) >= MAX_PROBLEMS:
                break  # a hostile request must not cost unbounded time or answer size
            spec = specs.get(name)
            if spec is None:
                problems.append(InputProblem(name, "not an input of this process"))
                continue
            value = self._check(name, spec, raw, problems)
            if value is not _INVALID:
                kwargs[name] = value
        for name, spec in specs.items():
            if name in inputs:
                continue
            if spec.min_occurs > 0 and spec.default is PydanticUndefined:
                problems.append(InputProblem(name, "required input is missing"))
            elif self._apply_schema_defaults and spec.default is not PydanticUndefined:
                kwargs[name] = spec.default
        if problems:
            problems.sort(key=lambda p: (p.input, p.path))
        return kwargs, problems

    def _check(
        self, name: str, spec: _InputSpec, raw: Any, problems: list[InputProblem]
    ) -> Any:
        many = spec.max_occurs is None or spec.max_occurs > 1
        if many and isinstance(raw, list):
            values = [spec.unwrap_value(v) for v in raw]
            count_ok = len(values) >= spec.min_occurs and (
                spec.max_occurs is None or len(values) <= spec.max_occurs
            )
            if not count_ok:
                bound = "unbounded" if spec.max_occurs is None else spec.max_occurs
                problems.append(InputProblem(
                    name, f"{len(values)} values given, {spec.min_occurs}..{bound} allowed"
                ))
                return _INVALID
            before = len(problems)
            for index, value in enumerate(values):
                if len(problems) - before >= MAX_PROBLEMS:
                    break
                self._validate(name, spec, value, problems, prefix=f"{name}.{index}")
            return values if len(problems) == before else _INVALID
        value = spec.unwrap_value(raw)
        before = len(problems)
        self._validate(name, spec, value, problems, prefix=name)
        if len(problems) != before:
            return _INVALID
        if spec.adapter is not None:
            try:
                return spec.adapter.validate_python(value)
            except ValidationError as exc:
                for error in exc.errors():
                    where = ".".join(str(p) for p in (name, *error["loc"]))
                    problems.append(InputProblem(name, error["msg"], where))
                return _INVALID
        return [value] if many else value

    @staticmethod
    def _validate(
        name: str, spec: _InputSpec, value: Any, problems: list[InputProblem], prefix: str
    ) -> None:
        for error in islice(spec.validator.iter_errors(value), MAX_PROBLEMS):
            where = ".".join(str(p) for p in (prefix, *error.absolute_path))
            problems.append(InputProblem(name, error.message, where))

    def run(self, kwargs: dict[str, Any], context: JobContext | None) -> dict[str, Any]:
        """Call the function and return its outputs as JSON-able values by output id."""
        return self.outputs(self.call(kwargs, context))

    def call(self, kwargs: dict[str, Any], context: JobContext | None) -> Any:
        """Call the function (with ``context`` if it takes one); return what it returns."""
        if self._context_param is not None:
            kwargs = {**kwargs, self._context_param: context}
        return self.function(**kwargs)

    def outputs(self, result: Any) -> dict[str, Any]:
        """The function's return value as JSON-able values by output id."""
        if len(self.output_ids) == 1:
            return {self.output_ids[0]: self._jsonable(result)}
        if not isinstance(result, Mapping):
            raise TypeError(
                f"process {self.id!r} has outputs {list(self.output_ids)}: "
                f"its function must return a mapping, not {type(result).__name__}"
            )
        return {k: to_jsonable_python(result[k]) for k in self.output_ids if k in result}

    def _jsonable(self, value: Any) -> Any:
        if self._return_adapter is not None:
            return self._return_adapter.dump_python(value, mode="json", warnings=False)
        return to_jsonable_python(value)


_INVALID = object()


class ProcessRegistry:
    """Processes by id. Add typed functions with :meth:`process`, descriptions with :meth:`add`."""

    def __init__(self, processes: Iterable[RegisteredProcess] = ()) -> None:
        self._processes: dict[str, RegisteredProcess] = {}
        for process in processes:
            self._register(process)

    def __iter__(self) -> Iterator[RegisteredProcess]:
        return iter(self._processes.values())

    def __len__(self) -> int:
        return len(self._processes)

    def __contains__(self, process_id: object) -> bool:
        return process_id in self._processes

    def get(self, process_id: str) -> RegisteredProcess | None:
        """The process with this id, or None."""
        return self._processes.get(process_id)

    @property
    def ids(self) -> list[str]:
        """The process ids in registration order."""
        return list(self._processes)

    def update(self, other: ProcessRegistry) -> None:
        """Add every process of ``other`` (a later id replaces an earlier one)."""
        for process in other:
            self._processes[process.id] = process

    def _register(self, process: RegisteredProcess) -> RegisteredProcess:
        if process.id in self._processes:
            raise ValueError(f"a process with id {process.id!r} is already registered")
        self._processes[process.id] = process
        return process

    def add(
        self,
        description: dict[str, Any] | ProcessDescription,
        function: Callable[..., Any],
        *,
        job_control_options: Sequence[str] | None = None,
        idempotent: bool = False,
    ) -> RegisteredProcess:
        """Serve an explicit description; ``function`` gets the inputs as keyword arguments.

        Absent inputs with a schema ``default`` are passed with that default. A
        parameter annotated with :class:`JobContext` receives the job context.
        With several outputs the function returns a mapping of output id to value.
        ``idempotent``: see :meth:`process`.
        """
        model = (
            description
            if isinstance(description, ProcessDescription)
            else ProcessDescription.model_validate(description)
        )
        doc = model.to_dict()
        doc["jobControlOptions"] = list(
            job_control_options or doc.get("jobControlOptions") or DEFAULT_JOB_CONTROL
        )
        doc.setdefault("outputs", {RETURN_VALUE: {"schema": {}}})
        return self._register(RegisteredProcess(
            doc,
            function,
            context_param=_context_parameter(function),
            apply_schema_defaults=True,
            idempotent=idempotent,
        ))

    def process(
        self,
        function: Callable[..., Any] | None = None,
        *,
        id: str | None = None,
        title: str | None = None,
        description: str | None = None,
        version: str = "0.0.0",
        keywords: Sequence[str] | None = None,
        job_control_options: Sequence[str] = DEFAULT_JOB_CONTROL,
        inputs: Mapping[str, Mapping[str, Any]] | None = None,
        outputs: Mapping[str, Mapping[str, Any]] | None = None,
        idempotent: bool = False,
    ) -> Any:
        """Decorator: serve a typed function as a process (the function is returned unchanged).

        ``id`` defaults to the function's name, ``title`` to a readable form of
        it, ``description`` to the docstring (``""`` leaves it out). ``inputs``
        and ``outputs`` map names to hints merged into the generated
        descriptions: description keys (``title``, ``minOccurs``, ...) and a
        ``schema`` dict are merged, any other key (``x-ui-widget``, ...) goes
        into the schema. ``idempotent=True`` says that running the function
        again for the same job is harmless: an executor that loses the worker
        running a job (``procdeck serve --executor dask``) then runs it again
        instead of failing it.
        """

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._register(_describe_function(
                fn,
                process_id=id or fn.__name__,
                title=title,
                description=description,
                version=version,
                keywords=keywords,
                job_control_options=job_control_options,
                input_hints=inputs or {},
                output_hints=outputs or {},
                idempotent=idempotent,
            ))
            return fn

        return decorate(function) if function is not None else decorate


def _is_context(annotation: Any) -> bool:
    if annotation is JobContext:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_context(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_context(arg) for arg in typing.get_args(annotation))
    return False


_JSON_AS_IS = (str, bool, type(None))
_SCHEMA_CONSTRAINTS = (annotated_types.Ge, annotated_types.Gt, annotated_types.Le,
                       annotated_types.Lt, annotated_types.MinLen, annotated_types.MaxLen,
                       annotated_types.MultipleOf)


def _converts(annotation: Any) -> bool:
    """True unless pydantic would hand every schema-valid JSON value over unchanged.

    Inputs are checked against their schema (the one a form checks too); pydantic then
    builds the Python value (dates, models, enums, floats from ints, tuples) and applies
    what the schema cannot say (validators). For ``str``, ``bool``, ``Any`` and lists or
    string-keyed dicts of them, with at most the constraints the schema carries, it would
    only check again what the schema checked, so it is left out.
    """
    if annotation is Any or annotation in _JSON_AS_IS or annotation in (list, dict):
        return False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        constraints = [m for meta in args[1:] if isinstance(meta, FieldInfo)
                       for m in meta.metadata]
        plain = all(isinstance(meta, FieldInfo) for meta in args[1:]) and all(
            isinstance(m, _SCHEMA_CONSTRAINTS) for m in constraints)
        return not plain or _converts(args[0])
    if origin in (typing.Union, types.UnionType):
        return any(_converts(arg) for arg in args)
    if origin is list:
        return any(_converts(arg) for arg in args)
    if origin is dict:
        return len(args) == 2 and (args[0] is not str or _converts(args[1]))
    return True


def _context_parameter(function: Callable[..., Any]) -> str | None:
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except (NameError, TypeError):
        return None
    return next((name for name, hint in hints.items() if name != "return" and _is_context(hint)),
                None)


def _standard(description: dict[str, Any]) -> dict[str, Any]:
    """The description with 1.0-only schemas (other keywords in ``additionalParameters``)."""
    out = dict(description)
    for key in ("inputs", "outputs"):
        if isinstance(out.get(key), dict):
            out[key] = {name: standard_description(spec) if isinstance(spec, dict) else spec
                        for name, spec in out[key].items()}
    return out


def _readable(name: str) -> str:
    return name.replace("_", " ").strip().title()


def _merge_hints(description: dict[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
    schema = dict(description.get("schema") or {})
    for key, value in hints.items():
        if key == "schema":
            schema.update(value)
        elif key in _DESCRIPTION_KEYS:
            description[key] = value
        else:
            schema[key] = value
    description["schema"] = schema
    return description


def _split_title(schema: dict[str, Any], fallback: str) -> dict[str, Any]:
    """Move a schema's top-level title/description up into the input/output description."""
    described: dict[str, Any] = {"title": schema.pop("title", None) or fallback}
    if "description" in schema:
        described["description"] = schema.pop("description")
    described["schema"] = schema
    return described


def _describe_function(
    fn: Callable[..., Any],
    *,
    process_id: str,
    title: str | None,
    description: str | None,
    version: str,
    keywords: Sequence[str] | None,
    job_control_options: Sequence[str],
    input_hints: Mapping[str, Mapping[str, Any]],
    output_hints: Mapping[str, Mapping[str, Any]],
    idempotent: bool = False,
) -> RegisteredProcess:
    hints = typing.get_type_hints(fn, include_extras=True)
    signature = inspect.signature(fn)
    context_param: str | None = None
    fields: dict[str, Any] = {}
    annotations: dict[str, Any] = {}
    for name, param in signature.parameters.items():
        annotation = hints.get(name, Any)
        if _is_context(annotation):
            context_param = name
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise TypeError(f"{fn.__name__}: parameter {name!r} must be a plain keyword parameter")
        default = ... if param.default is param.empty else param.default
        fields[name] = (annotation, default)
        annotations[name] = annotation
    unknown = set(input_hints) - set(fields)
    if unknown:
        raise ValueError(f"{fn.__name__}: hints for unknown inputs {sorted(unknown)}")

    model: type[BaseModel] = create_model(f"{process_id}_inputs", **fields)  # type: ignore[call-overload]
    model_schema = model.model_json_schema()
    defs = model_schema.get("$defs", {})
    required = set(model_schema.get("required", []))
    inputs: dict[str, Any] = {}
    adapters: dict[str, TypeAdapter] = {}
    for name, prop in model_schema.get("properties", {}).items():
        schema = to_openapi_schema({**prop, "$defs": defs} if defs else prop)
        described = _split_title(schema, _readable(name))
        if name not in required:
            described = {"title": described.pop("title"), **described, "minOccurs": 0}
        inputs[name] = _merge_hints(described, input_hints.get(name, {}))
        if _converts(annotations[name]):  # else the schema check is the only check needed
            adapters[name] = TypeAdapter(annotations[name])

    return_annotation = hints.get("return", Any)
    return_adapter = None if return_annotation is Any else TypeAdapter(return_annotation)
    outputs = _describe_outputs(return_adapter, output_hints)

    doc: dict[str, Any] = {"id": process_id, "title": title or _readable(fn.__name__)}
    text = inspect.cleandoc(fn.__doc__ or "") if description is None else description
    if text:
        doc["description"] = text
    doc["version"] = version
    if keywords:
        doc["keywords"] = list(keywords)
    doc["jobControlOptions"] = list(job_control_options)
    doc["outputTransmission"] = ["value", "reference"]
    doc["inputs"] = inputs
    doc["outputs"] = outputs
    ProcessDescription.model_validate(doc)  # fail at registration, not when served
    return RegisteredProcess(
        doc,
        fn,
        adapters=adapters,
        context_param=context_param,
        return_adapter=return_adapter if len(outputs) == 1 else None,
        idempotent=idempotent,
    )


def _describe_outputs(
    return_adapter: TypeAdapter | None, output_hints: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    if len(output_hints) > 1:
        outputs = {}
        for name, hints in output_hints.items():
            schema_hint = hints.get("schema", {})
            if not isinstance(schema_hint, dict):  # a Python type
                schema_hint = to_openapi_schema(TypeAdapter(schema_hint).json_schema())
            described = _split_title(dict(schema_hint), _readable(name))
            rest = {k: v for k, v in hints.items() if k != "schema"}
            outputs[name] = _merge_hints(described, rest)
        return outputs
    name, hints = next(iter(output_hints.items()), (RETURN_VALUE, {}))
    schema = (
        to_openapi_schema(return_adapter.json_schema(mode="serialization"))
        if return_adapter is not None
        else {}
    )
    return {name: _merge_hints(_split_title(schema, _readable(name)), hints)}
