"""Serializer fields that take only the JSON type they document.

DRF's fields coerce: a CharField takes 12 as "12", an IntegerField takes "12" and 12.0, a
BooleanField takes "yes" and 1. A client that sends the wrong type has a bug that a guess
would hide, and the guess contradicts the OpenAPI schema, which promises the type: these
fields refuse it with a 400 naming the field.
"""

from typing import TYPE_CHECKING, Any, ClassVar

from rest_framework import serializers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class _OnlyJSONType(serializers.Field):
    json_type: ClassVar[type]
    # Its own key: the fields' own "invalid" messages take other placeholders.
    default_error_messages: ClassVar[dict[str, "StrOrPromise"]] = {"wrong_type": "Must be a {type}."}
    type_name: ClassVar[str] = ""

    def to_internal_value(self, data: Any) -> Any:
        if type(data) is not self.json_type:  # bool is an int subclass: exact type, not isinstance
            self.fail("wrong_type", type=self.type_name)
        return super().to_internal_value(data)


class StrictCharField(_OnlyJSONType, serializers.CharField):
    json_type, type_name = str, "string"


class StrictSlugField(_OnlyJSONType, serializers.SlugField):
    json_type, type_name = str, "string"


class StrictIntegerField(_OnlyJSONType, serializers.IntegerField):
    json_type, type_name = int, "whole number"


class StrictBooleanField(_OnlyJSONType, serializers.BooleanField):
    """Only JSON true or false: "yes", 1 or "false" are refused, not guessed at."""

    json_type, type_name = bool, "true or false"
    default_error_messages: ClassVar[dict[str, "StrOrPromise"]] = {"wrong_type": "Must be true or false."}


class StrictUUIDField(_OnlyJSONType, serializers.UUIDField):
    """DRF's UUIDField would also read a JSON number as the UUID with that integer value."""

    json_type, type_name = str, "UUID string"
