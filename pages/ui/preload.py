"""Everything the pages import, imported once, before sessions run side by side: the first import of ours in
``streamlit_app.py`` and in every page file (a fresh server runs a linked page's file alone, see
``navigation.py``), so every session's script run waits here until one thread has imported it all.

Each session runs its script in its own thread. A module a page imported on first use was half imported for a
moment while another session's page ran, and some libraries look into ``sys.modules`` instead of importing:
Plotly (and narwhals, under it) takes pandas or pyarrow from there to test ``isinstance(value, pd.Series)``,
and met a half-imported pandas (``AttributeError: partially initialized module 'pandas' has no attribute
'Series'``, seen when a class opened a fresh server together). So every library a page, Streamlit's elements
or our package would import later is imported here (except the drawing canvas: it registers a Streamlit
component, which needs a running app, and is reached through ``import`` only, which waits for a half-imported
module). One thread at a time matters for our own modules too: two threads entering their import graph at
different places made Python hand one of them a half-imported module ("cannot import name 'Lookup' from
partially initialized module 'fmnist_core.runs.cache'", seen in the same test). Never TensorFlow: only worker
processes train (``tests/app/test_preload.py``, ``tests/test_layering.py``).
"""

from __future__ import annotations

import _strptime  # noqa: F401 - datetime.strptime imports it on first use
import encodings.cp437  # noqa: F401 - zip files (a model download)
import faulthandler  # noqa: F401 - streamlit_app.stacks_on_sigusr1
import multiprocessing.connection  # noqa: F401 - the local runner's worker pipes
import runpy  # noqa: F401 - a linked page's file run alone runs the app script
import sqlite3  # noqa: F401 - the class records
import unicodedata  # noqa: F401
import zoneinfo  # noqa: F401 - babel's dates

import babel.dates  # noqa: F401 - fmnist_core.i18n imports babel in its functions
import babel.messages.mofile  # noqa: F401 - compiling a stale .mo in memory
import babel.messages.pofile  # noqa: F401
import babel.numbers  # noqa: F401
import jinja2  # noqa: F401 - pandas' Styler (Compare's table) imports it on first use
import narwhals._interchange.dataframe  # noqa: F401 - Plotly's look at a table
import numpy.ma  # noqa: F401 - numpy imports some of its parts on first use
import numpy.random  # noqa: F401
import numpy.typing  # noqa: F401
import packaging.tags  # noqa: F401 - Streamlit's check of pyarrow's version
import packaging.utils  # noqa: F401
import pandas  # noqa: F401 - Streamlit imports it on a page's first table or chart
import pandas.io.formats.style  # noqa: F401
import plotly.colors  # noqa: F401
import plotly.graph_objects as go
import plotly.io
import plotly.io._json  # noqa: F401 - st.plotly_chart
import plotly.offline  # noqa: F401
import plotly.subplots
import plotly.tools  # noqa: F401
import pyarrow.pandas_compat  # noqa: F401 - Streamlit's tables travel as Arrow
import pyarrow.vendored.version  # noqa: F401
import segno  # noqa: F401 - the QR codes of a class's links
from PIL import Image

import fmnist_core.classroom  # noqa: F401 - the Class page, the board, a learner in a class
import fmnist_core.lessons  # noqa: F401 - the experiment and challenge pages
import fmnist_core.queue.local  # noqa: F401 - the runner the first page opens
import fmnist_core.reports  # noqa: F401 - the Common mistakes page's MistakeOutcome
import pages.ui.classroom  # noqa: F401
import pages.ui.data  # noqa: F401
import pages.ui.experiment_view  # noqa: F401
import pages.ui.history  # noqa: F401
import pages.ui.lang  # noqa: F401
import pages.ui.navigation  # noqa: F401
import pages.ui.run_picker  # noqa: F401
import pages.ui.runner  # noqa: F401
import pages.ui.stored_runs  # noqa: F401
import pages.ui.submit  # noqa: F401
import pages.ui.sweeps  # noqa: F401
import pages.ui.take_home  # noqa: F401
import pages.ui.text  # noqa: F401
import pages.ui.timeline  # noqa: F401
import pages.ui.watch  # noqa: F401
import pages.ui.widgets  # noqa: F401
from fmnist_core.memory import few_heaps

Image.init()  # Pillow imports its file-format plugins on the first image it opens or saves


def _draw_once() -> None:
    """Plotly imports each trace's and layout's classes on their first use: one small figure of every kind the
    pages draw, turned into what st.plotly_chart sends, loads them."""
    figure = plotly.subplots.make_subplots(rows=1, cols=2, subplot_titles=("a", "b"))
    grey = {"color": "#777777"}
    for trace in (go.Bar(y=[0], marker=grey), go.Heatmap(z=[[0]]), go.Histogram(x=[0], marker=grey),
                  go.Scatter(y=[0], mode="lines+markers", line={"dash": "dot"}, selected={"marker": {"opacity": 1}},
                             unselected={"marker": {"opacity": 1}})):
        figure.add_trace(trace, row=1, col=1)
    figure.add_shape(type="line", x0=0, x1=1, y0=0, y1=1, line={"dash": "dot"})
    figure.update_layout(title="", legend={"orientation": "h"}, margin={"t": 0})
    figure.update_xaxes(title="x")
    figure.update_yaxes(title="y")
    plotly.io.to_json(figure)


_draw_once()


# Once per process, before sessions run side by side: few heaps for the script threads (fmnist_core.memory).
few_heaps()
