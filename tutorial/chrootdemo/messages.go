package chrootdemo

// What escape says, in the learner's language. escape runs inside a
// container, far from the tutorial's catalogues, so its few sentences live
// here; the locale comes from the environment, as for any command
// (LC_ALL, then LC_MESSAGES, then LANG; English unless it starts "ja").

import (
	"os"
	"strings"
)

// messages are escape's sentences.
type messages struct {
	title                                   string
	mkdir, chroot, pwd, climb, rechroot, cd string
	escaped, stopped, notWritten            string
	mkdirHint, noChroot                     string
}

var english = messages{
	title:      "escape: the classic chroot escape, step by step (each line is its shell twin)",
	mkdir:      "a directory to chroot into",
	chroot:     "chroot(2) alone, no cd: the working directory stays outside the new root",
	pwd:        "the kernel agrees",
	climb:      `".." stops only at the root, and the working directory is not under it`,
	rechroot:   "wherever the climb ended becomes the root",
	cd:         "look around",
	escaped:    "→ outside the image: the chroot did not hold, and the marker was there to read.",
	stopped:    "→ the climb stopped at this root: above it there is nothing left to reach.",
	notWritten: "report not written",
	mkdirHint:  " (cd to a writable directory first, e.g. cd /tmp)",
	noChroot:   " — this process lacks CAP_SYS_CHROOT, so it cannot change its root at all and the escape ends here (the article's container drops it: capsh --drop=cap_sys_chroot)",
}

var japanese = messages{
	title:      "escape: 古典的な chroot 脱出を一歩ずつ (各行は対応するシェルコマンド)",
	mkdir:      "chroot 先のディレクトリ",
	chroot:     "chroot(2) だけで cd しない: 作業ディレクトリは新しいルートの外に残る",
	pwd:        "カーネルもそう言っている",
	climb:      `".." はルートでしか止まらず、作業ディレクトリはその下にない`,
	rechroot:   "登りきった場所をルートにする",
	cd:         "周りを見る",
	escaped:    "→ イメージの外に出た: chroot は破られ、マーカーが読めた。",
	stopped:    "→ このルートで登りが止まった: この上にはもう何もない。",
	notWritten: "レポートを書けなかった",
	mkdirHint:  " (書き込めるディレクトリに移ってから実行してください。例: cd /tmp)",
	noChroot:   " — このプロセスには CAP_SYS_CHROOT がないため、ルートを変えること自体ができず、脱出はここで終わりです (記事のコンテナはこれを落としています: capsh --drop=cap_sys_chroot)",
}

// locale is the learner's locale, as setlocale(3) would choose it.
func locale() string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// messagesFor picks the sentences for a locale.
func messagesFor(locale string) messages {
	if strings.HasPrefix(locale, "ja") {
		return japanese
	}
	return english
}
