"""How pySigma checks the regular expressions of the rules it parses.

pySigma checks every ``|re`` value with RE2 by default, so a rule stays within the
regular-expression flavour the Sigma specification allows (no look-around, no
back-references) and portable to other tools; a value outside it makes the rule fail to
load, with RE2's reason. The engine then matches with Python's ``re``.

RE2 also writes each refused pattern to standard error through its C++ logging, which
lands in the middle of ``madoguchi analyze``'s output. :data:`POLICY` is pySigma's
default check with that log line turned off (``Options.log_errors``); the reason still
reaches the list of rules that were not loaded.
"""

from __future__ import annotations

import re
from typing import Any, cast

import re2
from sigma.policy import SigmaPolicy
from sigma.policy.regex_engine import RE2RegexEngine, RegexPattern

_INLINE_FLAGS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))


class QuietRE2Engine(RE2RegexEngine):
    """RE2, as pySigma uses it, without RE2's own error log."""

    def compile(self, pattern: str, flags: int = 0) -> RegexPattern:
        inline = "".join(letter for flag, letter in _INLINE_FLAGS if int(flags) & int(flag))
        options: Any = re2.Options()
        options.log_errors = False
        text = f"(?{inline}){pattern}" if inline else pattern
        return cast(RegexPattern, re2.compile(text, options))


POLICY = SigmaPolicy(regex_engine=QuietRE2Engine())
