// SetImmutable: chattr +i / -i for tests of a database that cannot be written. Not even root
// can open an immutable file for writing, so the condition is real under any test user.
//
// Thread-safety: call from the test thread. Lifetime: no state.
#pragma once

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <filesystem>

namespace reco::testing {

// Sets or clears the immutable attribute of `path`. False when the filesystem (tmpfs, overlay)
// or the privileges (CAP_LINUX_IMMUTABLE) do not allow it: the caller then skips.
inline bool SetImmutable(const std::filesystem::path& path, bool on) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
  ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  ::close(fd);
  return ok;
}

}  // namespace reco::testing
