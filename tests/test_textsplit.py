import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model.textsplit import measure, split_message


def test_short_text_is_one_part():
    assert split_message("xin chào", 4000) == ["xin chào"]


def test_long_text_breaks_at_line_ends_and_keeps_every_line():
    lines = [f"{n}. Phường Khương Mai (KM) — 120/200 (60%)" for n in range(1, 400)]
    text = "\n".join(lines)
    parts = split_message(text, 4000)
    assert len(parts) > 1
    assert all(measure(part) <= 4000 for part in parts)
    assert "\n".join(parts).split("\n") == lines


def test_a_single_huge_line_is_cut_outside_tags_and_entities_with_tags_balanced():
    text = "<b>" + "Khương &amp; Mai " * 800 + "</b>"
    parts = split_message(text, 500)
    assert all(measure(part) <= 500 for part in parts)
    for part in parts:
        assert part.count("<b>") == part.count("</b>")
        assert not re.search(r"&[a-z]*$", part), part[-12:]
        assert not re.search(r"<[^>]*$", part)
    plain = "".join(re.sub(r"</?b>", "", p) for p in parts).replace(" ", "")
    assert plain == ("Khương &amp; Mai " * 800).replace(" ", "")


def test_emoji_count_as_two_units():
    assert measure("🎉") == 2
    parts = split_message("🎉" * 3000, 4000)
    assert all(measure(part) <= 4000 for part in parts)
    assert "".join(parts) == "🎉" * 3000


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \n<>&;đ🎉")), max_size=3000))
def test_parts_always_fit(text):
    parts = split_message(text, 200)
    assert all(measure(part) <= 200 for part in parts)


def test_a_reply_a_rendered_message_and_a_send_are_three_types():
    from bot.domain.model.entities import ChatRef
    from bot.domain.model.messages import (
        Attachment,
        ChartSpec,
        Outbound,
        RenderedMessage,
        Send,
        single_sends,
        with_files,
    )

    spec = ChartSpec("c.png", "t", (), "x", (), None, 1.0)
    reply = Outbound(ChatRef("telegram", "1"), "a\nb", attachments=(spec,))
    rendered = with_files(reply, lambda _spec: Attachment("c.png", b"png", "photo"))
    assert type(rendered) is RenderedMessage and rendered.attachments[0].content == b"png"
    assert with_files(rendered, lambda _spec: None) is rendered  # rendered once only
    sends = single_sends(rendered, lambda text: text.split("\n"))
    assert [type(send) for send in sends] == [Send, Send, Send]
    assert [send.text for send in sends] == ["a", "b", ""] and sends[2].attachments
