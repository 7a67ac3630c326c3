"""From a message's text to a command line. Teams sends the @mention as `<at>Name</at>`, often
followed by `&nbsp;`, sometimes inside HTML such as `<div>`
(docs/teams-protocol.md#outgoing-webhooks)."""

import time

import pytest

from shared.outgoing.text import CommandLine, clean_text, parse_command, split_words


def test_the_mention_and_nbsp_entity_are_removed() -> None:
    assert parse_command("<at>Notifier</at>&nbsp;help") == CommandLine("help", ())


def test_several_mentions_are_all_removed() -> None:
    text = "<at>Notifier</at> send <at>Adele Vance</at> deployment <at>Megan</at> ops"
    assert parse_command(text) == CommandLine("send", ("deployment", "ops"))


def test_a_mention_that_is_not_first_is_removed() -> None:
    assert parse_command("ping <at>Notifier</at> please") == CommandLine("ping", ("please",))


def test_a_mention_with_attributes_and_odd_case_is_removed() -> None:
    assert parse_command('<AT id="0">Notifier</AT>  ping') == CommandLine("ping", ())


@pytest.mark.parametrize(
    "text", ["<at>Notifier</at>", "<at>Notifier</at>&nbsp;", "<at>Notifier</at> \u00a0 \u200b", ""]
)
def test_nothing_after_the_mention_is_an_empty_command(text: str) -> None:
    assert parse_command(text) == CommandLine("", ())


def test_the_command_is_lower_cased_but_arguments_are_not() -> None:
    assert parse_command("<at>Notifier</at> PREVIEW Build-Status") == CommandLine(
        "preview", ("Build-Status",)
    )


def test_html_tags_are_removed_and_block_tags_separate_words() -> None:
    text = "<div><div><at>Notifier</at> <b>pre</b>view</div><p>message</p></div>"
    assert parse_command(text) == CommandLine("preview", ("message",))


def test_html_entities_are_unescaped_after_tags_are_removed() -> None:
    # `&lt;b&gt;` is text the user typed, not markup: it survives as `<b>`.
    assert (
        clean_text("say &lt;b&gt; &amp; &quot;x&quot; &#8211; &eacute;") == 'say <b> & "x" \u2013 é'
    )


def test_line_breaks_and_unicode_spaces_become_single_spaces() -> None:
    assert clean_text("a<br>b\r\n\tc\u00a0\u2007\u202f\u3000d") == "a b c d"


def test_zero_width_characters_are_removed() -> None:
    assert clean_text("pi\u200bng\ufeff") == "ping"


def test_quoted_words_stay_together() -> None:
    assert split_words('send "build status" ops') == ["send", "build status", "ops"]


def test_quoted_entities_stay_together() -> None:
    text = "<at>Notifier</at>&nbsp;echo &quot;a &amp; b&quot; c"
    assert parse_command(text) == CommandLine("echo", ("a & b", "c"))


def test_typographic_double_quotes_work_like_straight_ones() -> None:
    assert split_words("preview \u201cbuild status\u201d now") == ["preview", "build status", "now"]
    assert split_words("x \u201eQuartals Bericht\u201c y") == ["x", "Quartals Bericht", "y"]


def test_typographic_single_quotes_work_at_the_start_of_a_word() -> None:
    assert split_words("x \u2018a b\u2019 y") == ["x", "a b", "y"]


def test_apostrophes_inside_words_are_kept() -> None:
    assert split_words("don't won\u2019t 'quoted here'") == ["don't", "won\u2019t", "quoted here"]


def test_an_unbalanced_quote_runs_to_the_end() -> None:
    assert split_words('echo "a b c') == ["echo", "a b c"]
    assert split_words("echo \u201ca b") == ["echo", "a b"]


def test_a_quote_inside_a_word_joins_the_quoted_part() -> None:
    assert split_words('title="a b"c d') == ["title=a bc", "d"]


def test_empty_quotes_are_an_empty_argument() -> None:
    assert split_words('echo "" x') == ["echo", "", "x"]


def test_unicode_words_pass_through() -> None:
    assert parse_command("<at>Notifier</at> grüße 東京 ✅") == CommandLine("grüße", ("東京", "✅"))


@pytest.mark.parametrize(
    "text",
    [
        "<at>" * 16_000,
        "<at>x</at" * 7_000,
        "<at" * 21_000,
        "<" + " " * 64_000,
        "<a" * 32_000,
        "<br" * 21_000,
        '"' * 64_000,
        "\u201c" * 64_000,
    ],
    ids=[
        "open mentions",
        "unclosed mentions",
        "unclosed at",
        "spaces",
        "tags",
        "br",
        "quotes",
        "curly",
    ],
)
def test_crafted_64_kb_texts_are_parsed_in_linear_time(text: str) -> None:
    # The body limit is 64 KB; a pattern that backtracks quadratically on such a text takes
    # seconds, which the parsing (done before any command's deadline starts) cannot afford.
    # A linear parse takes about 0.05 s here; the bound leaves room for a loaded CI machine.
    started = time.perf_counter()
    parse_command(text)
    assert time.perf_counter() - started < 1.0
