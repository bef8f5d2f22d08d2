"""The Sigma engine: rules loaded with pySigma, compiled to Python predicates, matched in memory.

Usage::

    ruleset, errors = load_rules([Path("rules/")], placeholders={"admins": ["alice"]})
    correlator = Correlator(ruleset)
    for event in events:                       # flattened Windows events
        for match in ruleset.match(event):
            if match.rule.output:              # False for a rule only a correlation uses
                report(match)
            for found in correlator.observe(match, event, when):
                report(found)
    for found in correlator.flush():
        report(found)

Nothing here reads evidence or touches storage: rules in, matches out.
"""

from madoguchi.analyzers.sigma.correlations import CompiledCorrelation, CorrelationMatch, Correlator
from madoguchi.analyzers.sigma.errors import SigmaRuleError
from madoguchi.analyzers.sigma.loader import load_rules
from madoguchi.analyzers.sigma.placeholders import PlaceholderFileError, read_placeholders
from madoguchi.analyzers.sigma.rules import CompiledRule, RuleMatch
from madoguchi.analyzers.sigma.ruleset import RuleSet

__all__ = [
    "CompiledCorrelation",
    "CompiledRule",
    "CorrelationMatch",
    "Correlator",
    "PlaceholderFileError",
    "RuleMatch",
    "RuleSet",
    "SigmaRuleError",
    "load_rules",
    "read_placeholders",
]
