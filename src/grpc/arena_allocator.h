// ArenaAllocator: the request and response messages of a callback RPC in one protobuf Arena
// whose first block lives inside the holder, so that a call of small messages (a recommendation
// request and its answer) allocates once for both and frees them at once, instead of once per
// string and repeated field. Set with the generated SetMessageAllocatorFor_<Method>().
//
// Thread-safety: AllocateMessages() from any thread. Lifetime: the allocator must outlive the
// server; each holder deletes itself when gRPC releases it.
#pragma once

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <array>

namespace reco::grpcapi {

template <typename Request, typename Response, size_t kInlineBytes = 4096>
class ArenaAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder; }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(Options(block_)) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options(std::array<char, kInlineBytes>& block) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block.data();
      options.initial_block_size = block.size();
      return options;
    }

    alignas(8) std::array<char, kInlineBytes> block_;  // before arena_: it must outlive it
    google::protobuf::Arena arena_;
  };
};

}  // namespace reco::grpcapi
