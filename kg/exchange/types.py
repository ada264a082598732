"""Map the type names of SQL, dbt, ODCS, Avro and JSON Schema to XML Schema datatypes."""

from __future__ import annotations

XSD = "http://www.w3.org/2001/XMLSchema#"

_TYPES = {
    "string": "string", "text": "string", "varchar": "string", "char": "string",
    "character": "string", "nvarchar": "string", "uuid": "string", "str": "string",
    "integer": "integer", "int": "integer", "bigint": "integer", "smallint": "integer",
    "tinyint": "integer", "int64": "integer", "int32": "integer", "long": "integer",
    "number": "decimal", "numeric": "decimal", "decimal": "decimal",
    "float": "double", "double": "double", "real": "double", "float64": "double",
    "boolean": "boolean", "bool": "boolean",
    "date": "date", "timestamp": "dateTime", "timestamptz": "dateTime",
    "datetime": "dateTime", "timestamp_ntz": "dateTime", "timestamp_tz": "dateTime",
    "time": "time", "bytes": "base64Binary", "binary": "base64Binary",
}

#: ODCS v3 logicalType for each XML Schema datatype (ODCS §schema, logicalType enum)
ODCS_LOGICAL = {"string": "string", "integer": "integer", "decimal": "number",
                "double": "number", "boolean": "boolean", "date": "date",
                "dateTime": "timestamp", "time": "time"}


def xsd_for(type_name: str | None) -> str | None:
    """Return the XML Schema datatype IRI for a type name, or None when unknown."""
    if not type_name or not isinstance(type_name, str):
        return None
    base = type_name.strip().lower().split("(")[0].split("<")[0].strip()
    base = base.replace(" without time zone", "").replace(" with time zone", "tz")
    local = _TYPES.get(base)
    return XSD + local if local else None


def odcs_logical(datatype: str | None) -> str:
    """Return the ODCS logicalType for an XML Schema datatype IRI."""
    if not datatype or not datatype.startswith(XSD):
        return "string"
    return ODCS_LOGICAL.get(datatype[len(XSD):], "string")
