/*
 * Debian bookworm ships JMeter 2.13 with xstream 1.4.20.  Since 1.4.18 xstream forbids every type
 * its caller did not allow, and JMeter 2.13 (written for xstream 1.4.8) allows none, so it refuses
 * every test plan: "ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper".  The last
 * permission xstream consults is NoTypePermission.NONE, which throws; this copy of the class,
 * first on the class path (scripts/jmeter/jmeter), lets every type through: xstream's behaviour
 * before 1.4.18, which JMeter 2.13 was built for.  Only for the test plans we write ourselves.
 */
package com.thoughtworks.xstream.security;

public class NoTypePermission implements TypePermission {
	public static final TypePermission NONE = new NoTypePermission();

	public boolean allows(Class type) {
		return true;
	}

	public int hashCode() {
		return 1;
	}

	public boolean equals(Object obj) {
		return obj != null && obj.getClass() == NoTypePermission.class;
	}
}
