"""``gatewarden alerts test`` and ``gatewarden roster import|export``."""

from __future__ import annotations

from gatewarden.cli import main
from tests.support.fakechat import fakechat  # noqa: F401  (fixture)


def config(tmp_path, chats) -> str:
    (tmp_path / "data").mkdir(exist_ok=True)
    lines = ['[site]\nid = "t"\nname = "测试小区"\n[storage]\ndir = "data"\n']
    for chat in chats:
        lines.append(f'[[chat]]\nkind = "{chat.kind}"\nurl = "{chat.url}"\n')
    (tmp_path / "hub.toml").write_text("".join(lines), encoding="utf-8")
    return str(tmp_path / "hub.toml")


def test_alerts_test_reports_each_target(tmp_path, fakechat, capsys):
    good, dead = fakechat("webhook"), fakechat("wecom")
    dead.answer(93000)
    assert main(["alerts", "test", "--config", config(tmp_path, [good, dead])]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "webhook-1（webhook）：已送达"
    assert out[1].startswith("wecom-1（wecom）：93000 code 93000 —— 被长期拒收：请检查机器人地址")
    assert good.texts[0].startswith("【通知】告警测试\n测试小区 ")


def test_roster_import_export_round_trip(tmp_path, capsys):
    path = config(tmp_path, [])
    csv = tmp_path / "roster.csv"
    csv.write_bytes("姓名,手机,角色,日期,开始,结束\n王五,13800001111,值班,周一,20:00,08:00\n".encode("gb18030"))
    assert main(["roster", "import", str(csv), "--config", path]) == 0
    assert "已导入值班表 1 行" in capsys.readouterr().out
    out = tmp_path / "out.csv"
    assert main(["roster", "export", str(out), "--config", path]) == 0
    assert out.read_bytes().decode("utf-8-sig").splitlines()[1] == "王五,13800001111,值班,周一,20:00,08:00,1,,"


def test_a_bad_roster_changes_nothing_and_names_every_bad_line(tmp_path, capsys, monkeypatch):
    path = config(tmp_path, [])
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("姓名,手机\n王五,13800001111\n", encoding="utf-8")
    bad.write_text("姓名,手机\n赵六,12345\n孙七,\n", encoding="utf-8")
    assert main(["roster", "import", str(good), "--config", path]) == 0
    for name in ("GATEWARDEN_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["roster", "import", str(bad), "--config", path]) == 2
    err = capsys.readouterr().err
    assert "bad.csv: 第 2 行: 手机号 123… 不是 11 位的大陆手机号" in err
    assert "bad.csv: 第 3 行: 需要手机号（或飞书ID）" in err and "共 2 处问题，没有做任何更改" in err
    monkeypatch.setenv("GATEWARDEN_LANG", "en")
    assert main(["roster", "import", str(bad), "--config", path]) == 2
    err = capsys.readouterr().err
    assert "bad.csv: line 2: 手机/mobile 123… is not an 11-digit" in err and "bad.csv: line 3:" in err
    assert "2 bad line(s); nothing was changed" in err
    assert main(["roster", "export", "--config", path]) == 0
    assert "王五" in capsys.readouterr().out
