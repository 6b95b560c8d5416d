#!/usr/bin/python3
"""A milter (Debian's python3-milter) on inet:PORT@127.0.0.1 that rejects, at the end of the
message, every message whose Subject contains "milter-me" (550 5.7.1), so a real Postfix cleanup
writes milter-reject. Runs until killed (at most 120 s). usage: reject-milter.py PORT"""
import signal
import sys

import Milter


class RejectMilter(Milter.Base):
    def __init__(self):
        self.refuse = False

    def header(self, name, value):
        if name.lower() == "subject" and "milter-me" in value:
            self.refuse = True
        return Milter.CONTINUE

    def eom(self):
        if self.refuse:
            self.setreply("550", "5.7.1", "Refused by the lab milter")
            return Milter.REJECT
        return Milter.ACCEPT


def main():
    port = int(sys.argv[1])
    signal.alarm(120)
    Milter.factory = RejectMilter
    Milter.runmilter("mxir-lab-milter", "inet:%d@127.0.0.1" % port, 30)


if __name__ == "__main__":
    main()
