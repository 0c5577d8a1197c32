-- wrk script: read the status of random jobs among job_<first> .. job_<first+count-1>.
-- Arguments (after --): first job number, job count.
local first, count = 0, 1000

function init(args)
  if args[1] then first = tonumber(args[1]) end
  if args[2] then count = tonumber(args[2]) end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  return wrk.format("GET", "/jobs/job_" .. (first + math.random(0, count - 1)))
end
