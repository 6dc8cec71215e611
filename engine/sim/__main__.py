from engine.sim.cli import sim_command

sim_command(prog_name="python -m engine.sim")
