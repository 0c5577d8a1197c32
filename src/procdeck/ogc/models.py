"""Pydantic models of the OGC API - Processes Part 1 (Core 1.0) documents.

The models are lenient with what servers send (extra fields are kept, ``id`` is
accepted for ``jobID``, unknown status values stay readable) and strict with
what procdeck sends (``ProcessRequest`` serialises only standard members).

Every model displays as pretty JSON in a notebook (``_repr_json_``) and turns
into a plain JSON-able dict with :meth:`OGCModel.to_dict`.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from procdeck.ogc.display import RESULTS_HOOK, get_hook
from procdeck.ogc.extensions import merge_extensions
from procdeck.ogc.vocabulary import EXECUTE_MEMBERS, JobStatus

__all__ = [
    "AdditionalParameter",
    "AdditionalParameters",
    "ApiError",
    "ConformanceDeclaration",
    "InputDescription",
    "JobControlOption",
    "JobInfo",
    "JobList",
    "JobResults",
    "JobStatus",
    "LandingPage",
    "Link",
    "Metadata",
    "OGCModel",
    "Output",
    "OutputDescription",
    "OutputFormat",
    "ProcessDescription",
    "ProcessList",
    "ProcessRequest",
    "ProcessSummary",
    "QualifiedValue",
    "ResponseType",
    "Schema",
    "Subscriber",
    "TransmissionMode",
    "describe_validation_error",
]

_ERRORS_SHOWN = 3


def describe_validation_error(exc: ValidationError, skip: int = 0) -> str:
    """The first few problems of a pydantic error, without echoing input values.

    ``skip`` leaves out the first parts of each location (the part the caller names).
    """
    errors = exc.errors(include_input=False, include_url=False)
    parts = [
        f"{'.'.join(str(p) for p in error['loc'][skip:]) or '(document)'}: {error['msg']}"
        for error in errors[:_ERRORS_SHOWN]
    ]
    if len(errors) > _ERRORS_SHOWN:
        parts.append(f"and {len(errors) - _ERRORS_SHOWN} more")
    return "; ".join(parts)


class OGCModel(BaseModel):
    """Base of every procdeck model: keeps unknown fields, dumps by alias, shows as JSON."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        """The document as a JSON-able dict, as it goes over the wire (absent fields omitted)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self, indent: int | None = 2) -> str:
        """The document as a JSON string (keys sorted, like the notebook display)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    def _repr_json_(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.to_dict(), {"expanded": True, "root": type(self).__name__}


class Link(OGCModel):
    """A web link (``href`` plus relation, media type, language and title)."""

    href: str
    rel: str | None = None
    type: str | None = None
    hreflang: str | None = None
    title: str | None = None


class LandingPage(OGCModel):
    """The landing page (``GET /``): title, description and links to the API's resources."""

    title: str | None = None
    description: str | None = None
    links: list[Link] = Field(default_factory=list)


class ConformanceDeclaration(OGCModel):
    """The conformance classes a server implements (``GET /conformance``)."""

    conformsTo: list[str] = Field(default_factory=list)


class Metadata(OGCModel):
    """Additional metadata of a process, input or output."""

    title: str | None = None
    role: str | None = None
    href: str | None = None
    value: Any = None


class JobControlOption(StrEnum):
    """How a process may be executed and controlled."""

    SYNC_EXECUTE = "sync-execute"
    ASYNC_EXECUTE = "async-execute"
    DISMISS = "dismiss"


class TransmissionMode(StrEnum):
    """Whether an output is returned inline (value) or as a link (reference)."""

    VALUE = "value"
    REFERENCE = "reference"


class ResponseType(StrEnum):
    """The shape of a synchronous execution's response."""

    RAW = "raw"
    DOCUMENT = "document"


_SCHEMA_NULLABLE_KEYS = {"default": "default", "const": "const", "example": "example"}


class Schema(OGCModel):
    """A JSON schema in the OpenAPI 3.0 flavour OGC API - Processes uses.

    Standard keywords are typed; any other key (``x-ui-widget``, ``$comment``,
    ...) is kept as an extra field. Only keys that were present are dumped, so a
    schema round-trips unchanged (``default: null`` included).
    """

    ref: str | None = Field(default=None, alias="$ref")
    type: str | list[str] | None = None
    format: str | None = None
    title: str | None = None
    description: str | None = None
    default: Any = None
    enum: list[Any] | None = None
    const: Any = None
    nullable: bool | None = None
    readOnly: bool | None = None
    writeOnly: bool | None = None
    deprecated: bool | None = None
    example: Any = None
    examples: list[Any] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusiveMinimum: bool | int | float | None = None
    exclusiveMaximum: bool | int | float | None = None
    multipleOf: int | float | None = None
    minLength: int | None = None
    maxLength: int | None = None
    pattern: str | None = None
    items: Schema | list[Schema] | None = None
    minItems: int | None = None
    maxItems: int | None = None
    uniqueItems: bool | None = None
    properties: dict[str, Schema] | None = None
    required: list[str] | None = None
    additionalProperties: bool | Schema | None = None
    minProperties: int | None = None
    maxProperties: int | None = None
    oneOf: list[Schema] | None = None
    anyOf: list[Schema] | None = None
    allOf: list[Schema] | None = None
    not_: Schema | None = Field(default=None, alias="not")
    discriminator: Any = None
    defs: dict[str, Schema] | None = Field(default=None, alias="$defs")
    definitions: dict[str, Schema] | None = None
    contentMediaType: str | None = None
    contentEncoding: str | None = None
    contentSchema: Any = None

    @model_serializer(mode="wrap")
    def _keep_explicit_nulls(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data = handler(self)
        # exclude_none would drop a meaningful ``default: null``; put it back if it was given.
        for name, key in _SCHEMA_NULLABLE_KEYS.items():
            if name in self.model_fields_set and getattr(self, name) is None and key not in data:
                data[key] = None
        return data


class AdditionalParameter(OGCModel):
    """One named parameter of an ``additionalParameters`` block (its value is a list)."""

    name: str
    value: list[Any] = Field(default_factory=list)


class AdditionalParameters(OGCModel):
    """Extra parameters of a process, input or output (metadata plus named values)."""

    title: str | None = None
    role: str | None = None
    href: str | None = None
    parameters: list[AdditionalParameter] | None = None


class _Described(OGCModel):
    title: str | None = None
    description: str | None = None
    keywords: list[str] | None = None
    metadata: list[Metadata] | None = None
    additionalParameters: AdditionalParameters | None = None


class _WithSchema(_Described):
    schema_: Schema = Field(default_factory=Schema, alias="schema")

    def full_schema(self) -> dict[str, Any]:
        """The schema with the keywords moved to ``additionalParameters`` put back.

        A procdeck server keeps UI hints and other keywords beyond 1.0 there
        (see :mod:`procdeck.ogc.extensions`); the form engine reads this.
        """
        return merge_extensions(self.schema_.to_dict(), self.additionalParameters)


class InputDescription(_WithSchema):
    """Description of one process input: its schema and how often it may occur."""

    minOccurs: int = 1
    maxOccurs: int | Literal["unbounded"] | None = None

    @property
    def is_optional(self) -> bool:
        """True when the input may be left out (``minOccurs`` is 0)."""
        return self.minOccurs == 0

    @property
    def is_array(self) -> bool:
        """True when the value is a list of occurrences (``maxOccurs`` > 1 or unbounded)."""
        return self.maxOccurs == "unbounded" or (
            isinstance(self.maxOccurs, int) and self.maxOccurs > 1
        )


class OutputDescription(_WithSchema):
    """Description of one process output."""


class ProcessSummary(_Described):
    """One entry of the process list."""

    id: str
    version: str | None = None
    jobControlOptions: list[str] | None = None
    outputTransmission: list[str] | None = None
    links: list[Link] | None = None


class ProcessDescription(ProcessSummary):
    """A full process description with its inputs and outputs."""

    inputs: dict[str, InputDescription] = Field(default_factory=dict)
    outputs: dict[str, OutputDescription] = Field(default_factory=dict)


class ProcessList(OGCModel):
    """The list of processes (``GET /processes``)."""

    processes: list[ProcessSummary] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class OutputFormat(OGCModel):
    """The format asked for an output."""

    mediaType: str | None = None
    encoding: str | None = None
    schema_: Schema | str | None = Field(default=None, alias="schema")


class Output(OGCModel):
    """How one output should be returned by an execution."""

    format: OutputFormat | None = None
    transmissionMode: TransmissionMode | None = None


class Subscriber(OGCModel):
    """Callback URIs notified as a job progresses (conformance class ``callback``).

    ``successUri`` receives the results document, ``failedUri`` the
    exception of a failed job, ``inProgressUri`` status updates. The erratum
    spellings ``successUrl``/``inProgressUrl``/``failedUrl`` are read too;
    the standard's are sent.
    """

    successUri: str = Field(validation_alias=AliasChoices("successUri", "successUrl"))
    inProgressUri: str | None = Field(
        default=None, validation_alias=AliasChoices("inProgressUri", "inProgressUrl"))
    failedUri: str | None = Field(
        default=None, validation_alias=AliasChoices("failedUri", "failedUrl"))


class QualifiedValue(OGCModel):
    """An input or output value with its media type (``{"value": ..., "mediaType": ...}``)."""

    value: Any
    mediaType: str | None = None
    encoding: str | None = None
    schema_: Schema | str | None = Field(default=None, alias="schema")


class ProcessRequest(OGCModel):
    """An execute request: ``{"inputs", "outputs", "response", "subscriber"}``.

    Does what a person means: every keyword argument or dict key other than
    ``inputs``, ``outputs``, ``response`` and ``subscriber`` is taken as an
    *input*, so ``ProcessRequest(duration=2)`` equals
    ``ProcessRequest(inputs={"duration": 2})`` and ``{"fail": True}`` passed as a
    request asks for ``fail=True``. Nothing but the four standard members is
    ever sent.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Output] | None = None
    response: ResponseType | None = None
    subscriber: Subscriber | None = None

    @model_validator(mode="before")
    @classmethod
    def _loose_keys_are_inputs(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        loose = {k: v for k, v in data.items() if k not in EXECUTE_MEMBERS}
        if not loose:
            return data
        request = {k: v for k, v in data.items() if k in EXECUTE_MEMBERS}
        inputs = dict(request.get("inputs") or {})
        overlap = sorted(set(inputs) & set(loose))
        if overlap:
            raise ValueError(f"input(s) {overlap} given both in 'inputs' and as keywords")
        inputs.update(loose)
        request["inputs"] = inputs
        return request


# Non-standard names some servers use, mapped to the standard state they mean.
_STATUS_SYNONYMS: dict[str, JobStatus] = {
    **{s.value: s for s in JobStatus},
    "queued": JobStatus.ACCEPTED,
    "pending": JobStatus.ACCEPTED,
    "submitted": JobStatus.ACCEPTED,
    "created": JobStatus.ACCEPTED,
    "started": JobStatus.RUNNING,
    "in_progress": JobStatus.RUNNING,
    "in-progress": JobStatus.RUNNING,
    "processing": JobStatus.RUNNING,
    "succeeded": JobStatus.SUCCESSFUL,
    "success": JobStatus.SUCCESSFUL,
    "successfull": JobStatus.SUCCESSFUL,
    "completed": JobStatus.SUCCESSFUL,
    "finished": JobStatus.SUCCESSFUL,
    "done": JobStatus.SUCCESSFUL,
    "error": JobStatus.FAILED,
    "failure": JobStatus.FAILED,
    "cancelled": JobStatus.DISMISSED,
    "canceled": JobStatus.DISMISSED,
    "deleted": JobStatus.DISMISSED,
}


def parse_status(value: Any) -> JobStatus | str:
    """Map a server's status string to :class:`JobStatus`; unknown values stay as given."""
    if isinstance(value, JobStatus):
        return value
    text = str(value)
    return _STATUS_SYNONYMS.get(text.strip().lower(), text)


class JobInfo(OGCModel):
    """The status of a job (``statusInfo``).

    ``status`` is a :class:`JobStatus` when the server's value is standard or a
    known synonym (``succeeded``, ``queued``, ...), else the server's string as
    is. Servers that send ``id`` instead of ``jobID`` are understood.
    """

    jobID: str = Field(validation_alias=AliasChoices("jobID", "id", "jobId"))
    processID: str | None = Field(
        default=None, validation_alias=AliasChoices("processID", "processId")
    )
    type: str = "process"
    status: JobStatus | str
    message: str | None = None
    created: datetime | str | None = Field(default=None, union_mode="left_to_right")
    started: datetime | str | None = Field(default=None, union_mode="left_to_right")
    finished: datetime | str | None = Field(default=None, union_mode="left_to_right")
    updated: datetime | str | None = Field(default=None, union_mode="left_to_right")
    progress: int | None = None
    links: list[Link] | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _map_status(cls, value: Any) -> JobStatus | str:
        return parse_status(value)

    @field_validator("progress", mode="before")
    @classmethod
    def _lenient_progress(cls, value: Any) -> int | None:
        if value is None:
            return None
        try:
            return max(0, min(100, round(float(value))))
        except (TypeError, ValueError):
            return None

    @property
    def is_final(self) -> bool:
        """True when the job is successful, failed or dismissed."""
        return isinstance(self.status, JobStatus) and self.status.is_final


class JobList(OGCModel):
    """The list of jobs (``GET /jobs``)."""

    jobs: list[JobInfo] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class JobResults(RootModel[dict[str, Any]]):
    """The results of a job: output id -> inline value, qualified value or link.

    Behaves like a read-only mapping; :meth:`value` unwraps qualified values.
    In a notebook the results show with one viewer per output (as in the app),
    each with the Python line that fetches it, when the GUI is installed (it
    registers the renderer, see :mod:`procdeck.ogc.display`); else as JSON.
    """

    root: dict[str, Any] = Field(default_factory=dict)
    _job_id: str | None = PrivateAttr(default=None)

    @property
    def job_id(self) -> str | None:
        """The job these results belong to, when the client fetched them."""
        return self._job_id

    def for_job(self, job_id: str | None) -> JobResults:
        """Remember which job these results belong to (for display); returns ``self``."""
        self._job_id = job_id
        return self

    def __getitem__(self, key: str) -> Any:
        return self.root[key]

    def __iter__(self):  # type: ignore[override]
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def __contains__(self, key: object) -> bool:
        return key in self.root

    def keys(self):
        """The output ids."""
        return self.root.keys()

    def items(self):
        """(output id, result) pairs as the server sent them."""
        return self.root.items()

    def value(self, key: str) -> Any:
        """The result of ``key``, with a qualified value ``{"value": ...}`` unwrapped."""
        result = self.root[key]
        if isinstance(result, dict) and "value" in result and "href" not in result:
            return result["value"]
        return result

    def to_dict(self) -> dict[str, Any]:
        """The results as a JSON-able dict."""
        return self.model_dump(mode="json")

    def to_json(self, indent: int | None = 2) -> str:
        """The results as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    def _repr_json_(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.to_dict(), {"expanded": True, "root": "JobResults"}

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> dict[str, Any]:
        # The app's renderer when the GUI provides one (see procdeck.ogc.display), else JSON.
        render = get_hook(RESULTS_HOOK)
        if render is not None:
            return render(self, self._job_id)
        return {"application/json": self.to_dict(), "text/plain": self.to_json()}


class ApiError(OGCModel):
    """An RFC 7807 problem document (OGC ``exception``)."""

    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
