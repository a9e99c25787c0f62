"""A deterministic synthetic SaaS company: accounts, usage, support, voice, money, outcomes.

Every account carries a *hidden* daily health (a mean-reverting random walk with shocks:
champion leaves, bad experiences, reorgs, positive surprises, and portfolio-wide bad
releases).  Everything observable is drawn from it with noise, so signals are predictive
but imperfect, and outcomes follow from it:

* churn: annual contracts (enterprise, mid-market) decide at each renewal, monthly smb at
  each anniversary, with a probability rising as the health of the last 30-60 days falls;
  most churners wind their usage down sharply in the weeks before (a sudden drop);
* renewals are new subscription rows (flat, expanded or contracted by health); healthy
  annual accounts also expand mid-term; current rows are open-ended (end_date empty);
* onboarding: some new accounts stall and never fire a first-value feature; they are
  less healthy and churn far more;
* bad releases cause ticket spikes about one feature for a third of the accounts;
* only ~40% of accounts ever advocate, so many promoters never refer; fast, CSAT-5
  support moments sometimes turn into reviews;
* CSM coverage follows the segment: QBRs and judgements for enterprise and mid-market,
  tech-touch e-mails for smb, extra calls for accounts in trouble.

The hidden state lives in `_world` (calendar, account traits, health) and `_accounts`
(subscriptions, contacts); each table is drawn in the module for what it describes, from
its own seeded stream, so this module only puts the frames together.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from healthscore.demo import _finance, _relationship, _success, _support, _usage
from healthscore.demo._accounts import Portfolio, accounts
from healthscore.demo._world import SEGMENTS
from healthscore.store.schema import KINDS

__all__ = ["DEFAULT_END", "SEGMENTS", "generate"]

DEFAULT_END = date(2026, 10, 31)


def generate(
    seed: int = 7,
    n_accounts: int = 500,
    months: int = 18,
    end_date: date = DEFAULT_END,
) -> dict[str, pd.DataFrame]:
    """One DataFrame per kind of `KINDS`, with exactly the schema's columns.

    Same arguments give identical frames.  Data covers the `months` calendar months
    ending on `end_date`; accounts that started earlier carry their subscription history.
    """
    if n_accounts < 1 or months < 1:
        raise ValueError("n_accounts and months must be at least 1")
    sim = Portfolio(seed, n_accounts, months, end_date)
    frames = {
        "accounts": accounts(sim),
        "contacts": sim.contacts_df,
        "subscriptions": sim.subs_df,
        "features": _usage.features(),
        "events": _usage.events(sim),
        "tickets": _support.tickets(sim),
        "surveys": _support.surveys(sim),
        "interactions": _relationship.interactions(sim),
        "judgements": _relationship.judgements(sim),
        "engagement": _relationship.engagement(sim),
        "invoices": _finance.invoices(sim),
    }
    frames["goals"], frames["milestones"] = _success.goals_and_milestones(sim)
    frames["advocacy"] = _success.advocacy(sim, frames["tickets"])
    # Optional columns the demo does not fill (a newer schema's) come out empty.
    return {
        k: frames[k].reindex(columns=KINDS[k].column_names).reset_index(drop=True) for k in KINDS
    }
