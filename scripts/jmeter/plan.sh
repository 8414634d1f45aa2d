#!/usr/bin/env bash
# A JMeter test plan on stdout: one thread group of THREADS threads started over RAMP seconds, each
# sending GET URL in a loop, for DURATION seconds (the scheduler) -- or LOOPS requests each when
# DURATION is 0.  The shape of the study's plan (../shared/seed: N threads with a 1 s ramp-up).
# Properties override them at run time: -Jurl=URL -Jthreads=N -Jramp=S -Jduration=S -Jloops=N
# (the sampler takes the whole URL in its path, so `--load-cmd '... -Jurl={url}'` works).
# Usage: scripts/jmeter/plan.sh URL [THREADS [RAMP [DURATION [LOOPS]]]] > plan.jmx
set -euo pipefail
usage() { echo "usage: $0 URL [THREADS [RAMP_S [DURATION_S [LOOPS]]]]" >&2; exit 2; }
[ $# -ge 1 ] || usage
url=$1 threads=${2:-10} ramp=${3:-1} duration=${4:-10} loops=${5:--1}
[[ $url =~ ^https?://[^/]+ ]] || { echo "plan.sh: $url: http://HOST[:PORT]/PATH" >&2; exit 2; }
for n in "$threads" "$ramp" "$duration"; do [[ $n =~ ^[0-9]+$ ]] || usage; done
[[ $loops =~ ^-?[0-9]+$ ]] || usage
[ "$duration" -gt 0 ] && sched=true || sched=false
[ "$duration" -eq 0 ] && [ "$loops" -lt 1 ] && { echo "plan.sh: DURATION 0 needs LOOPS >= 1" >&2; exit 2; }
cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<jmeterTestPlan version="1.2" properties="2.8" jmeter="2.13">
  <hashTree>
    <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="virtprof" enabled="true">
      <elementProp name="TestPlan.user_defined_variables" elementType="Arguments" guiclass="ArgumentsPanel" testclass="Arguments" enabled="true">
        <collectionProp name="Arguments.arguments"/>
      </elementProp>
      <boolProp name="TestPlan.functional_mode">false</boolProp>
      <boolProp name="TestPlan.serialize_threadgroups">false</boolProp>
    </TestPlan>
    <hashTree>
      <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="users" enabled="true">
        <stringProp name="ThreadGroup.on_sample_error">continue</stringProp>
        <elementProp name="ThreadGroup.main_controller" elementType="LoopController" guiclass="LoopControlPanel" testclass="LoopController" enabled="true">
          <boolProp name="LoopController.continue_forever">false</boolProp>
          <stringProp name="LoopController.loops">\${__P(loops,$loops)}</stringProp>
        </elementProp>
        <stringProp name="ThreadGroup.num_threads">\${__P(threads,$threads)}</stringProp>
        <stringProp name="ThreadGroup.ramp_time">\${__P(ramp,$ramp)}</stringProp>
        <boolProp name="ThreadGroup.scheduler">$sched</boolProp>
        <stringProp name="ThreadGroup.duration">\${__P(duration,$duration)}</stringProp>
        <stringProp name="ThreadGroup.delay">0</stringProp>
      </ThreadGroup>
      <hashTree>
        <HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="GET" enabled="true">
          <stringProp name="HTTPSampler.domain"></stringProp>
          <stringProp name="HTTPSampler.port"></stringProp>
          <stringProp name="HTTPSampler.path">\${__P(url,$url)}</stringProp>
          <stringProp name="HTTPSampler.connect_timeout">\${__P(timeout_ms,10000)}</stringProp>
          <stringProp name="HTTPSampler.response_timeout">\${__P(timeout_ms,10000)}</stringProp>
          <stringProp name="HTTPSampler.method">GET</stringProp>
          <boolProp name="HTTPSampler.follow_redirects">true</boolProp>
          <boolProp name="HTTPSampler.use_keepalive">true</boolProp>
        </HTTPSamplerProxy>
        <hashTree/>
      </hashTree>
    </hashTree>
  </hashTree>
</jmeterTestPlan>
XML
