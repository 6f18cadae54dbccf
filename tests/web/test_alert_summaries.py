"""Alert summaries through the catalog: every sentence the rules write is read back (which
sentence, which figures) and shown in the reader's language and number format."""

from __future__ import annotations

import re

import pytest

from siaga_platform.alerts import summaries
from siaga_web import i18n
from siaga_web.templating import _summary

FIGURES = {"site": "Kantor Disdukcapil Puruk Cahu"}


def _values(key: str) -> dict[str, int | str]:
    names = re.findall(r"\{(\w+)\}", summaries.SENTENCES[key])
    # Distinct figures, one above a thousand (written 2.373 in Indonesian, 2,373 in English).
    return {n: FIGURES.get(n, 2373 + i) for i, n in enumerate(names)}


@pytest.mark.parametrize("key", sorted(summaries.SENTENCES))
def test_each_sentence_is_read_back_with_its_figures(key: str) -> None:
    values = _values(key)
    stored = summaries.sentence(key, **values)
    assert summaries.read(stored) == (key, values)


@pytest.mark.parametrize("key", sorted(summaries.SENTENCES))
def test_each_sentence_is_shown_in_english_with_english_figures(key: str) -> None:
    values = _values(key)
    stored = summaries.sentence(key, **values)
    english = _summary(stored, i18n.translations("en").gettext, "en")
    assert english != stored  # translated
    assert english == i18n.translations("en").gettext(summaries.SENTENCES[key]).format(
        **{k: v if isinstance(v, str) else f"{v:,}" for k, v in values.items()}
    )
    indonesian = _summary(stored, i18n.translations("id").gettext, "id")
    assert indonesian == stored  # Indonesian: the stored sentence itself


def test_an_unknown_wording_is_shown_as_stored() -> None:
    older = "Kalimat lama yang tidak ada di katalog (12 hari)."
    assert _summary(older, i18n.translations("en").gettext, "en") == older
