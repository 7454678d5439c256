"""`analysis.batch.analyze_docs`: a document whose analysis raises does not end the run."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from analysis.batch import Doc, Failed, analyze_docs
from analysis.pipeline import Analyzer
from yuqing.records import SHANGHAI

WHEN = datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI)


# (1, None): in this process; otherwise in watched worker processes.
@pytest.mark.parametrize(("workers", "timeout"), [(1, None), (1, 60.0), (2, 60.0)])
def test_a_document_that_breaks_the_analysis_comes_back_failed_in_its_place(
        base_config, workers, timeout):
    analyzer = Analyzer.from_config(base_config)
    docs = [Doc("a", "河口镇停水", "河口镇停水三天了", WHEN, line=1),
            # Input checks keep this out of `yuqing analyze`; here it stands for any
            # document the analysis cannot take.
            Doc("b", None, "停水", WHEN, line=2),  # type: ignore[arg-type]
            "passed through",
            Doc("c", "城关镇夜市开市", "夜市正式开市", WHEN, line=4)]
    (a, fa, ea), (failed, ff, ef), passed, (c, fc, ec) = analyze_docs(
        analyzer, docs, workers=workers, item_timeout=timeout)
    assert a is docs[0] and fa is not None and ea
    assert isinstance(failed, Failed) and failed.doc is docs[1] and (ff, ef) == (None, None)
    # Which error a None title raises depends on the first stage to touch it.
    assert re.match(r"analysis failed: \w+Error: ", failed.error), failed.error
    assert passed == ("passed through", None, None)
    assert c is docs[3] and fc is not None and ec  # the run went on
