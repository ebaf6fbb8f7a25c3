"""Large, realistic and valid .flow programs for the benchmarks.

`generate_program(lines)` repeats a unit of one action and one flow that uses it
until the text has at least `lines` lines. The unit uses every kind of step and
clause the language has, and is a correct program: every output of every `run`
is connected, every variable is assigned before it is read on every path, every
`collect` has a no_answer path and every `request`/`code` an error path, and no
body can fall off its end. So the checker benchmark can time a clean check.
"""

from __future__ import annotations

PRELUDE = """\
# A generated program for benchmarks (tests/benchmarks/generate.py).
python scoring.score_lead(name: text, tier: text) -> number

"""

UNIT = """\
action Lookup{n} {{
  meta {{
    title: "Account lookup {n}"
    integration: "Accounts API"
    description: "Finds the caller's account and its tier."
    version: "1.0.{n}"
    publish: organization
  }}

  input customer: text
  input base_url: text = "https://accounts.example.com" configurable "Accounts API base URL"

  output Found(account: text, tier: text)
  output Missing(reason: text)

  on error -> Missing(reason = "the lookup failed")

  request account = GET "{{{{base_url}}}}/accounts/{{{{customer}}}}"
    headers {{ "Accept": "application/json" }}
    query {{ "line": "{n}" }}
    expect {{ id: text, tier: text }}
    timeout 5s
    retries 2
  if account.tier == "" -> Missing(reason = "the account has no tier")
  exit Found(account = account.id, tier = account.tier)
}}

flow Intake{n} {{
  on no_answer -> goodbye
  on error -> goodbye

  talk "Welcome to line {n}."
  collect name: text
    prompt "What is your name?"
    reprompt "Sorry, could you tell me your name?"
    attempts 3
    timeout 10s
  collect wants_help: bool
    prompt "Do you need help today, {{{{name}}}}?"
  if not wants_help -> goodbye
  run found = Lookup{n}(customer = name)
    on Found -> known
    on Missing -> unknown

  known:
  set tier = found.tier
  collect choice: text in ["sales", "support", "billing"]
    prompt "Sales, support or billing, {{{{name}}}}?"
  if choice == "sales" and tier != "gold" -> sales
  send sms to call.caller "Thanks {{{{name}}}}, your tier is {{{{tier ?? "basic"}}}}."
  end "Goodbye, {{{{name}}}}."

  sales:
  transfer to "+1555010{n:04d}" say "Connecting you to sales."

  unknown:
  code score = scoring.score_lead(name = name, tier = "none")
  -> goodbye

  goodbye:
  end "Thank you for calling."

  after call {{
    send email to "operations@example.com"
      subject "Call {{{{call.id}}}} ended: {{{{call.outcome}}}}"
      body "Caller {{{{call.caller}}}} on line {n}"
  }}
}}

"""


def generate_program(lines: int) -> str:
    """A valid program of at least `lines` lines (whole units of one action and one flow)."""
    parts = [PRELUDE]
    total = PRELUDE.count("\n")
    n = 0
    while total < lines:
        unit = UNIT.format(n=n)
        parts.append(unit)
        total += unit.count("\n")
        n += 1
    return "".join(parts)
